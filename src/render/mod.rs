//! Pages built by JavaScript (`--render`, cargo feature `render`): an HTML page crawl
//! has fetched is loaded in headless Chromium, its scripts run, and its links are
//! read from the rendered DOM.
//!
//! The browser is driven over the DevTools protocol on a pipe (no port), by a small
//! client of this crate's own ([`browser`]): the protocol used is a dozen commands,
//! kept as JSON, so no generated binding of the whole protocol is built, and a newer
//! Chromium's new events cannot break it.
//!
//! How a page goes (see [`tab`]):
//!
//! 1. The worker fetches the page as usual: robots.txt, per-host politeness, retries,
//!    redirects, the deadline and the body cap all hold. Only an HTML page that was
//!    fetched whole is rendered.
//! 2. It is loaded in a new tab; its document is
//!    answered with the body already fetched (the server is not asked twice), and
//!    every request its scripts make goes through crawl's own HTTP client, so
//!    `--block-private`, `--resolve`, `-H` and `--proxy` hold for them too. Images,
//!    media and fonts are refused. The browser itself reaches no network.
//! 3. Once the load event has come, no request has been in flight for 100 ms and no
//!    `setTimeout` due within the wait is pending (a script run before the page's
//!    own counts them), or `--render-wait` after the start, whichever is first, the
//!    DOM is serialised
//!    (over the body cap: a `too_large` failure) and parsed by the same extractor as a
//!    static page, against `document.URL` (which `pushState` changes) and the
//!    document's `<base>`, so the same rules apply (`--links`, `--select`, fragments,
//!    scope, depth). Links in open shadow roots are added as hyperlinks: the
//!    serialisation does not hold them.
//! 4. A script that navigates the page elsewhere is stopped, and the target recorded
//!    as a redirect and followed. Dialogs are dismissed. A tab that crashes, or whose
//!    scripts still run at the page deadline, fails the page with reason `render`.
//!
//! At most `--render-concurrency` tabs are open at once, each closed after its page
//! once its origin's storage is cleared (a browser context per page would isolate
//! pages too, but cost a third of the throughput). A tab that fails before its page
//! is loaded in it is replaced, once in the same browser and once in a fresh one.
//! The browser is restarted
//! every [`RESTART_EVERY`] pages to bound its memory, and at once when it crashes or
//! stops answering. No Chromium process outlives the crawl: each runs in a process
//! group that is killed when its [`Renderer`] is dropped, or by [`kill_all`].

mod browser;
mod tab;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;
use tracing::debug;

pub use browser::kill_all;
pub(crate) use tab::{Failure, Page, Rendered};

use crate::config::Config;
use crate::error::Error;
use crate::fetch::Fetcher;
use browser::Browser;

/// Pages one browser renders before it is replaced by a fresh one.
pub const RESTART_EVERY: u64 = 500;

/// A pool of tabs in one headless Chromium at a time.
pub struct Renderer {
    path: PathBuf,
    user_agent: String,
    wait: Duration,
    max_body: u64,
    tabs: Semaphore,
    current: Mutex<Option<Arc<Browser>>>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// A renderer for `config`: finds the browser ([`Config::browser`], else
    /// `chromium`, `chromium-browser` or `google-chrome` on the `PATH`). The browser
    /// starts with the first page.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no browser is found.
    pub fn new(config: &Config) -> Result<Self, Error> {
        let path = browser::find(config.browser.as_deref()).map_err(Error::Config)?;
        Ok(Renderer {
            path,
            user_agent: config.user_agent.clone(),
            wait: config.render_wait,
            max_body: config.max_body,
            tabs: Semaphore::new(config.render_concurrency.get()),
            current: Mutex::new(None),
        })
    }

    /// The browser to open the next tab in: the running one, or a new one when there
    /// is none, it broke, or it has rendered its share of pages.
    async fn browser(&self) -> Result<Arc<Browser>, Failure> {
        let mut current = self.current.lock().await;
        if let Some(b) = current.as_ref()
            && !b.is_broken()
            && b.pages.load(std::sync::atomic::Ordering::Relaxed) < RESTART_EVERY
        {
            b.pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(b.clone());
        }
        // The old browser, if any, is killed when its last tab ends.
        *current = None;
        debug!("starting {}", self.path.display());
        let b = Browser::launch(&self.path, &self.user_agent).map_err(Failure::Render)?;
        b.pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *current = Some(b.clone());
        Ok(b)
    }

    /// Renders `page` in one of the pool's tabs, within `timeout` of the tab opening
    /// (waiting for a free tab is queueing, like waiting for a `--concurrency` permit).
    /// Also returns when the render's deadline was.
    pub(crate) async fn render(
        &self,
        fetcher: &Fetcher,
        page: Page<'_>,
        timeout: Duration,
    ) -> Result<(Rendered, Instant), Failure> {
        let Ok(_tab) = self.tabs.acquire().await else {
            return Err(Failure::Render("the renderer was closed".into()));
        };
        let deadline = Instant::now() + timeout;
        // A tab that fails before the page is loaded in it is replaced: once in the
        // same browser, then once in a fresh one.
        let mut attempt = 0;
        let rendered = loop {
            attempt += 1;
            let browser = self.browser().await?;
            let setup = tab::Setup {
                browser: &browser,
                fetcher,
                deadline,
                wait: self.wait,
                max_body: self.max_body,
            };
            match tab::render(setup, page.clone()).await {
                Err(Failure::Unready(why)) if attempt < 3 => {
                    debug!("a tab failed before its page was loaded ({why}); trying another");
                    if attempt == 2 {
                        browser.break_down();
                    }
                }
                Err(Failure::Unready(why)) => break Err(Failure::Render(why)),
                Err(Failure::Hung(why)) => {
                    // A browser that stopped answering is replaced (a crashed or busy
                    // tab is only closed).
                    browser.break_down();
                    break Err(Failure::Render(why));
                }
                other => break other,
            }
        };
        rendered.map(|r| (r, deadline))
    }
}
