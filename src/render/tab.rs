//! One page in one tab: the protocol steps from a blank tab to the rendered DOM.
//!
//! The tab is closed after its page and its origin's storage cleared (cookies,
//! local storage, caches), so no page sees what another left. Every request it makes
//! is paused (`Fetch.enable`): the page's own
//! document is answered with the body crawl already fetched, images, media and fonts
//! are refused, and every other request is sent by crawl's HTTP client — the
//! `--block-private` guard, `--resolve`, `-H`, the proxy and the body cap apply — and
//! its response handed back. A navigation of the main frame away from the page is
//! stopped and recorded. Dialogs are dismissed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::task::AbortOnDropHandle;
use url::Url;

use super::browser::{Browser, CALL_TIMEOUT, CallError, Event};
use crate::fetch::Fetcher;

/// Quiet time with no request in flight, after the load event, before the page's
/// timers are asked about: a response's callbacks run well within it.
const QUIET: Duration = Duration::from_millis(100);

/// What a page may leave in the browser, cleared when its tab closes ("all" fails
/// with an internal error in headless Chromium, on a kind it does not keep).
const STORAGE: &str = "cookies,local_storage,indexeddb,cache_storage,service_workers,file_systems";

/// How often a page with timers still pending is asked again.
const POLL: Duration = Duration::from_millis(50);

/// Run in every document before its own scripts: counts the `setTimeout`s pending
/// that are due within the render wait (`LIMIT` ms), so the render waits for a
/// timer that will add links and not for one far off; intervals and animation frames
/// repeat forever and are not waited for.
const TIMERS: &str = r#"(() => {
  const pending = new Set();
  const set = window.setTimeout, clear = window.clearTimeout;
  window.setTimeout = function (fn, delay, ...args) {
    const id = set.call(window, function (...a) {
      pending.delete(id);
      return typeof fn === "function" ? fn.apply(this, a) : (0, eval)(String(fn));
    }, delay, ...args);
    if ((Number(delay) || 0) <= LIMIT) pending.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    pending.delete(id);
    return clear.call(window, id);
  };
  Object.defineProperty(window, "__crawlTimers", { value: () => pending.size });
})()"#;

/// What the page is: its URL (after redirects) and the response crawl read for it.
#[derive(Clone)]
pub struct Page<'a> {
    /// Where the document came from.
    pub url: &'a Url,
    /// Its body, as fetched.
    pub body: &'a Bytes,
    /// The `Content-Type` it is given to the browser with.
    pub content_type: &'a str,
}

/// The DOM after the page's scripts ran.
#[derive(Debug)]
pub struct Rendered {
    /// `document.URL` when the DOM was read (a script's `pushState` changes it).
    pub url: Url,
    /// The document's serialisation, doctype included.
    pub html: String,
    /// `document.characterSet`.
    pub charset: String,
    /// The `href`s, resolved by the browser, of `a` and `area` elements in open
    /// shadow roots (not in the serialisation).
    pub shadow: Vec<String>,
    /// Where a script sent the main frame, if it tried to leave the page.
    pub navigated: Option<Url>,
}

/// Why a render gave no DOM.
#[derive(Debug)]
pub enum Failure {
    /// The tab crashed or hung, or the browser answered with an error.
    Render(String),
    /// The browser stopped answering: it is to be replaced.
    Hung(String),
    /// The tab failed before the page was loaded in it (the browser did not answer,
    /// or the tab's renderer was already gone): the page is tried in another tab.
    Unready(String),
    /// The serialised DOM is larger than the body cap (its length in UTF-16 units).
    TooLarge(u64),
}

/// What the tab's event handler has seen.
#[derive(Default)]
struct State {
    served: bool,
    loaded: bool,
    crashed: bool,
    in_flight: usize,
    quiet_since: Option<Instant>,
    navigated: Option<Url>,
}

struct Tab {
    state: Mutex<State>,
    changed: Notify,
}

impl Tab {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_waiters();
        out
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Waits until `done` holds or `until` passes.
    async fn wait(&self, until: Instant, done: impl Fn(&State) -> bool) {
        loop {
            let changed = self.changed.notified();
            if self.read(&done) || tokio::time::timeout_at(until, changed).await.is_err() {
                return;
            }
        }
    }
}

/// Closes the tab when the render ends, however it ends, and clears what its origin
/// stored in the browser, so no page sees what an earlier one left.
struct Closer {
    browser: Arc<Browser>,
    target: String,
    origin: String,
    session: Option<String>,
}

impl Closer {
    /// Clears the page's origin's storage, then closes the tab, awaiting both.
    async fn close(mut self) {
        let target = std::mem::take(&mut self.target);
        let session = self.session.take();
        close(&self.browser, target, session, &self.origin).await;
    }
}

async fn close(browser: &Browser, target: String, session: Option<String>, origin: &str) {
    let cleared = call(
        browser,
        session.as_deref(),
        "Storage.clearDataForOrigin",
        json!({"origin": origin, "storageTypes": STORAGE}),
    )
    .await;
    if let Some(session) = &session {
        browser.unsubscribe(session);
    }
    let closed = call(
        browser,
        None,
        "Target.closeTarget",
        json!({"targetId": target}),
    )
    .await;
    if let Err(e) = cleared.and(closed) {
        tracing::debug!("closing the tab of {origin}: {e}");
    }
}

impl Drop for Closer {
    /// The render ended another way (a failure, a timeout, the crawl stopping): a
    /// script still running is stopped at once, then the tab is cleared and closed
    /// in the background.
    fn drop(&mut self) {
        if self.target.is_empty() {
            return;
        }
        if let Some(session) = &self.session {
            self.browser
                .send(Some(session), "Runtime.terminateExecution", json!({}));
        }
        let browser = self.browser.clone();
        let (target, session) = (std::mem::take(&mut self.target), self.session.take());
        let origin = std::mem::take(&mut self.origin);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move { close(&browser, target, session, &origin).await });
            }
            Err(_) => browser.send(None, "Target.closeTarget", json!({"targetId": target})),
        }
    }
}

/// Everything a render needs besides the page.
pub struct Setup<'a> {
    pub browser: &'a Arc<Browser>,
    pub fetcher: &'a Fetcher,
    /// When the page's deadline passes.
    pub deadline: Instant,
    /// How long to wait for the load event and then for the network to go idle.
    pub wait: Duration,
    pub max_body: u64,
}

/// A step before the page was navigated to failed: the page is not to blame, and is
/// tried again in a fresh tab.
fn unready(e: CallError) -> Failure {
    Failure::Unready(e.to_string())
}

fn gone(e: CallError) -> Failure {
    match e {
        CallError::TimedOut(_) => Failure::Hung(e.to_string()),
        e => Failure::Render(e.to_string()),
    }
}

/// Loads `page` in a new tab and reads its DOM.
pub async fn render(setup: Setup<'_>, page: Page<'_>) -> Result<Rendered, Failure> {
    let browser = setup.browser;
    let target = call(
        browser,
        None,
        "Target.createTarget",
        json!({"url": "about:blank"}),
    )
    .await
    .map_err(unready)?;
    let target = target["targetId"].as_str().unwrap_or_default().to_owned();
    let mut closer = Closer {
        browser: browser.clone(),
        target: target.clone(),
        origin: page.url.origin().ascii_serialization(),
        session: None,
    };
    let attached = call(
        browser,
        None,
        "Target.attachToTarget",
        json!({"targetId": target, "flatten": true}),
    )
    .await
    .map_err(unready)?;
    let session = attached["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let events = browser.subscribe(&session);
    closer.session = Some(session.clone());
    let tab = Arc::new(Tab {
        state: Mutex::new(State::default()),
        changed: Notify::new(),
    });
    let body = base64::engine::general_purpose::STANDARD.encode(page.body);
    let handler = AbortOnDropHandle::new(tokio::spawn(handle(
        Handler {
            browser: browser.clone(),
            fetcher: setup.fetcher.clone(),
            tab: tab.clone(),
            session: session.clone(),
            frame: target.clone(),
            page_url: page.url.clone(),
            content_type: page.content_type.to_owned(),
            body,
            deadline: setup.deadline,
            max_body: setup.max_body,
        },
        events,
    )));
    let s = Some(session.as_str());
    // The steps before the navigation go together: a round trip, not four.
    let timers = TIMERS.replace("LIMIT", &setup.wait.as_millis().to_string());
    let ready = futures_util::future::try_join_all([
        call(browser, s, "Inspector.enable", json!({})),
        call(browser, s, "Page.enable", json!({})),
        call(
            browser,
            s,
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*"}]}),
        ),
        call(
            browser,
            s,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": timers }),
        ),
    ]);
    ready.await.map_err(unready)?;
    let started = Instant::now();
    let settle_by = (started + setup.wait).min(setup.deadline);
    let navigate = browser.call(
        s,
        "Page.navigate",
        json!({"url": page.url.as_str()}),
        setup.deadline.saturating_duration_since(started),
    );
    // The navigation's reply comes once the document is committed; a script that
    // blocks the page never lets the load event come.
    let nav = navigate.await;
    if let Err(e) = nav {
        return Err(hang_or(&tab, setup.deadline, e));
    }
    tab.wait(settle_by, |s| s.loaded || s.crashed).await;
    // Then until no request has been in flight for QUIET and no timer due within
    // the wait is pending (or the wait is over).
    loop {
        let changed = tab.changed.notified();
        let now = Instant::now();
        if now >= settle_by {
            break;
        }
        let quiet_at = tab.read(|s| match s.crashed {
            true => Some(now),
            false if s.in_flight == 0 => s.quiet_since.map(|t| t + QUIET),
            false => None,
        });
        if quiet_at.is_some_and(|t| t <= now) {
            if tab.read(|s| s.crashed) || timers_pending(browser, s, settle_by).await == 0 {
                break;
            }
            let _ = tokio::time::timeout_at((now + POLL).min(settle_by), changed).await;
            continue;
        }
        let until = quiet_at.map_or(settle_by, |t| t.min(settle_by));
        let _ = tokio::time::timeout_at(until, changed).await;
    }
    tracing::debug!(
        "rendered for {:?} (load event: {}), reading the DOM",
        started.elapsed(),
        tab.read(|s| s.loaded)
    );
    if tab.read(|s| s.crashed) {
        return Err(crashed());
    }
    let left = setup.deadline.saturating_duration_since(Instant::now());
    let read = browser
        .call(
            s,
            "Runtime.evaluate",
            json!({"expression": read_dom(setup.max_body), "returnByValue": true}),
            left,
        )
        .await;
    let value = match read {
        Ok(v) => v,
        Err(e) => return Err(hang_or(&tab, setup.deadline, e)),
    };
    drop(handler);
    // The tab closes and what the page stored goes before the tab's slot is given
    // back (on every other way out, the closer does both unawaited).
    closer.close().await;
    if let Some(e) = value.get("exceptionDetails") {
        let text = e["exception"]["description"]
            .as_str()
            .or_else(|| e["text"].as_str())
            .unwrap_or("an exception");
        return Err(Failure::Render(format!("reading the DOM failed: {text}")));
    }
    let dom = &value["result"]["value"];
    if let Some(len) = dom["tooLarge"].as_u64() {
        return Err(Failure::TooLarge(len));
    }
    let url = dom["url"]
        .as_str()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| page.url.clone());
    Ok(Rendered {
        url,
        html: dom["html"].as_str().unwrap_or_default().to_owned(),
        charset: dom["charset"].as_str().unwrap_or("UTF-8").to_owned(),
        shadow: dom["shadow"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        navigated: tab.read(|s| s.navigated.clone()),
    })
}

/// The page's pending timers that are due within the wait (0 when it cannot say: a
/// page busy past `until` is left to the DOM read's deadline).
async fn timers_pending(browser: &Browser, session: Option<&str>, until: Instant) -> u64 {
    let wait = until.saturating_duration_since(Instant::now());
    let asked = browser.call(
        session,
        "Runtime.evaluate",
        json!({"expression": "window.__crawlTimers ? window.__crawlTimers() : 0", "returnByValue": true}),
        wait,
    );
    match asked.await {
        Ok(v) => v["result"]["value"].as_u64().unwrap_or(0),
        Err(_) => 0,
    }
}

async fn call(
    browser: &Browser,
    session: Option<&str>,
    method: &str,
    params: Value,
) -> Result<Value, CallError> {
    browser.call(session, method, params, CALL_TIMEOUT).await
}

fn crashed() -> Failure {
    Failure::Render("the tab crashed".into())
}

/// A command that got no reply: the tab crashed, or its scripts held it past the
/// deadline.
fn hang_or(tab: &Tab, deadline: Instant, e: CallError) -> Failure {
    if tab.read(|s| s.crashed) {
        return crashed();
    }
    match e {
        CallError::TimedOut(_) if Instant::now() >= deadline => Failure::Render(
            "the page's scripts were still running at the deadline; tab closed".into(),
        ),
        e => gone(e),
    }
}

/// The script that reads the DOM: its serialisation (or only its length, when over
/// the cap), `document.URL`, the character set, and links in open shadow roots.
fn read_dom(max_body: u64) -> String {
    format!(
        r#"(() => {{
  const d = document;
  const root = d.documentElement;
  let html = root ? root.outerHTML : "";
  if (d.doctype) html = new XMLSerializer().serializeToString(d.doctype) + html;
  if (html.length > {max_body}) return {{ tooLarge: html.length }};
  const shadow = [];
  const walk = (node) => {{
    for (const el of node.querySelectorAll("*")) {{
      const sr = el.shadowRoot;
      if (!sr) continue;
      for (const a of sr.querySelectorAll("a[href], area[href]")) {{
        if (a instanceof HTMLAnchorElement || a instanceof HTMLAreaElement) shadow.push(a.href);
      }}
      walk(sr);
    }}
  }};
  walk(d);
  return {{ url: d.URL, html, charset: d.characterSet, shadow }};
}})()"#
    )
}

/// The tab's event loop and what it needs.
struct Handler {
    browser: Arc<Browser>,
    fetcher: Fetcher,
    tab: Arc<Tab>,
    session: String,
    frame: String,
    page_url: Url,
    content_type: String,
    body: String,
    deadline: Instant,
    max_body: u64,
}

async fn handle(h: Handler, mut events: tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let h = Arc::new(h);
    let mut requests = JoinSet::new();
    while let Some((method, params)) = events.recv().await {
        tracing::trace!("{method} {params}");
        match method.as_str() {
            "Fetch.requestPaused" => {
                h.tab.with(|s| {
                    s.in_flight += 1;
                    s.quiet_since = None;
                });
                let h = h.clone();
                requests.spawn(async move {
                    answer(&h, &params).await;
                    h.tab.with(|s| {
                        s.in_flight -= 1;
                        if s.in_flight == 0 {
                            s.quiet_since = Some(Instant::now());
                        }
                    });
                });
            }
            "Page.loadEventFired" => h.tab.with(|s| {
                if s.served {
                    s.loaded = true;
                    if s.in_flight == 0 {
                        s.quiet_since = Some(Instant::now());
                    }
                }
            }),
            "Page.javascriptDialogOpening" => {
                h.browser.send(
                    Some(&h.session),
                    "Page.handleJavaScriptDialog",
                    json!({"accept": false}),
                );
            }
            "Inspector.targetCrashed" => h.tab.with(|s| s.crashed = true),
            _ => {}
        }
        while requests.try_join_next().is_some() {}
    }
}

/// Answers one paused request.
async fn answer(h: &Handler, params: &Value) {
    let id = params["requestId"].as_str().unwrap_or_default();
    let request = &params["request"];
    let kind = params["resourceType"].as_str().unwrap_or_default();
    let url = request["url"].as_str().unwrap_or_default();
    let fail = |reason: &str| {
        h.browser.send(
            Some(&h.session),
            "Fetch.failRequest",
            json!({"requestId": id, "errorReason": reason}),
        );
    };
    // The browser asks every new tab's site for its icon: crawl does not.
    let favicon = kind == "Other" && url.ends_with("/favicon.ico");
    if matches!(kind, "Image" | "Media" | "Font") || favicon {
        return fail("BlockedByClient");
    }
    let main_document = kind == "Document" && params["frameId"].as_str() == Some(&h.frame);
    if main_document {
        let first = h.tab.with(|s| !std::mem::replace(&mut s.served, true));
        if first {
            h.browser.send(
                Some(&h.session),
                "Fetch.fulfillRequest",
                json!({
                    "requestId": id,
                    "responseCode": 200,
                    "responseHeaders": [{"name": "Content-Type", "value": h.content_type}],
                    "body": h.body,
                }),
            );
            return;
        }
        // A script (or a refresh) sends the page elsewhere: recorded, not followed here.
        if let Ok(target) = Url::parse(url)
            && target != h.page_url
        {
            h.tab.with(|s| {
                s.navigated.get_or_insert(target);
            });
        }
        return fail("Aborted");
    }
    let Ok(target) = Url::parse(url) else {
        return fail("Failed");
    };
    if !matches!(target.scheme(), "http" | "https") {
        return fail("BlockedByClient");
    }
    let method = request["method"].as_str().unwrap_or("GET");
    let headers: Vec<(String, String)> = request["headers"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let post = request["postData"].as_str().map(|s| s.as_bytes().to_vec());
    let sent = tokio::time::timeout_at(
        h.deadline,
        h.fetcher
            .forward(method, &target, &headers, post, h.max_body),
    )
    .await;
    match sent {
        Ok(Ok(response)) => {
            let headers: Vec<Value> = response
                .headers
                .iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect();
            h.browser.send(
                Some(&h.session),
                "Fetch.fulfillRequest",
                json!({
                    "requestId": id,
                    "responseCode": response.status,
                    "responseHeaders": headers,
                    "body": base64::engine::general_purpose::STANDARD.encode(&response.body),
                }),
            );
        }
        Ok(Err(e)) if e.kind == crate::stats::FailureKind::Blocked => fail("BlockedByClient"),
        Ok(Err(_)) => fail("Failed"),
        Err(_) => fail("TimedOut"),
    }
}
