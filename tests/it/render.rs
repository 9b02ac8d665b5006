//! `--render`: pages whose links JavaScript builds, loaded in a real headless Chromium
//! (Debian's `chromium`, which CI installs; skipped with a note when it is missing,
//! unless `CRAWL_REQUIRE_CHROMIUM=1`). Every page comes from a loopback test server.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crawl::record::{Outcome, PageRecord};
use crawl::{Config, FailureKind, Url};

use crate::report_cdp::require;
use crate::support::{Bin, Reply, Routes, TestServer, config, crawl, record_of};

fn page(body: &str) -> Reply {
    Reply::html(format!(
        "<!doctype html><html><head></head><body>{body}</body></html>"
    ))
}

fn render_config(browser: PathBuf) -> crawl::ConfigBuilder {
    config()
        .render(true)
        .browser(Some(browser))
        .respect_robots(false)
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

fn urls(server: &TestServer, paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| server.url_str(p)).collect()
}

/// The scripts the issue names: links added by `createElement`/`appendChild`, by
/// `innerHTML` after a `fetch()` of JSON, by a 300 ms timer, in an open shadow root
/// (found) and a closed one (not found: no script outside can see it), after
/// `alert()` and `confirm()` (dismissed: confirm answers false).
#[tokio::test]
async fn links_that_scripts_build_are_found() {
    let Some(browser) = require("links_that_scripts_build_are_found") else {
        return;
    };
    let server = TestServer::start(
        Routes::new()
            .route(
                "/app",
                page(
                    r#"<a href="/static">static</a><div id="list"></div><div id="host"></div><div id="closed"></div>
<script>
alert("hello");
const a = document.createElement("a");
a.href = "/created";
a.textContent = "created";
document.body.appendChild(a);
fetch("/api/links.json").then(r => r.json()).then(list => {
  document.getElementById("list").innerHTML = list.map(u => `<a href="${u}">x</a>`).join("");
});
setTimeout(() => {
  const t = document.createElement("a");
  t.href = "/timer";
  document.body.appendChild(t);
}, 300);
document.getElementById("host").attachShadow({mode: "open"}).innerHTML = '<a href="/shadow">s</a>';
document.getElementById("closed").attachShadow({mode: "closed"}).innerHTML = '<a href="/closed">c</a>';
if (confirm("add the declined link?")) {
  const c = document.createElement("a");
  c.href = "/confirmed";
  document.body.appendChild(c);
} else {
  const c = document.createElement("a");
  c.href = "/declined";
  document.body.appendChild(c);
}
</script>"#,
                ),
            )
            .route(
                "/api/links.json",
                Reply::typed(
                    Some("application/json"),
                    r#"["/from-json/1", "/from-json/2"]"#,
                ),
            ),
    );
    let url = server.url("/app");
    let done = crawl(
        render_config(browser).build().expect("config"),
        [url.clone()],
    )
    .await;
    let found = set(&done.links_of(url.as_str()));
    let want = urls(
        &server,
        &[
            "/static",
            "/created",
            "/from-json/1",
            "/from-json/2",
            "/timer",
            "/shadow",
            "/declined",
        ],
    );
    assert_eq!(found, want);
    let records = done.sink.records();
    let record = record_of(&records, url.as_str());
    assert!(record.rendered, "{record:?}");
    assert_eq!(record.links, 7);
    assert_eq!(server.hits("/app"), 1, "the page is fetched once, by crawl");
    assert_eq!(server.hits("/api/links.json"), 1);
    assert_eq!(server.hits("/favicon.ico"), 0, "crawl asks for no icon");

    // The static crawl of the same page finds only the link in its HTML.
    let done = crawl(
        config().respect_robots(false).build().expect("config"),
        [url.clone()],
    )
    .await;
    assert_eq!(done.links_of(url.as_str()), vec![server.url_str("/static")]);
    assert!(!done.sink.records()[0].rendered);
}

/// A `<base>` a script sets applies to every link in the DOM, as the browser resolves
/// them; a pushState router's links resolve against the URL it pushed.
#[tokio::test]
async fn script_set_base_and_push_state_resolve_like_the_browser() {
    let Some(browser) = require("script_set_base_and_push_state_resolve_like_the_browser") else {
        return;
    };
    let server = TestServer::start(
        Routes::new()
            .route(
                "/based",
                page(
                    r#"<a href="plain">p</a>
<script>
const b = document.createElement("base");
b.href = "/docs/v2/";
document.head.appendChild(b);
const a = document.createElement("a");
a.href = "added";
document.body.appendChild(a);
</script>"#,
                ),
            )
            .route(
                "/spa",
                page(
                    r#"<nav id="nav"></nav>
<script>
history.pushState({}, "", "/spa/users/");
document.getElementById("nav").innerHTML = '<a href="42">user</a><a href="../about">about</a>';
</script>"#,
                ),
            ),
    );
    let based = server.url("/based");
    let spa = server.url("/spa");
    let done = crawl(
        render_config(browser).build().expect("config"),
        [based.clone(), spa.clone()],
    )
    .await;
    assert_eq!(
        set(&done.links_of(based.as_str())),
        urls(&server, &["/docs/v2/plain", "/docs/v2/added"])
    );
    assert_eq!(
        set(&done.links_of(spa.as_str())),
        urls(&server, &["/spa/users/42", "/spa/about"])
    );
}

/// A page whose script never yields fails at the deadline with reason `render`; with
/// one tab, the next page still renders (the stuck tab was closed).
#[tokio::test]
async fn an_endless_loop_ends_at_the_deadline_and_the_crawl_goes_on() {
    let Some(browser) = require("an_endless_loop_ends_at_the_deadline_and_the_crawl_goes_on")
    else {
        return;
    };
    let server = TestServer::start(
        Routes::new()
            .route(
                "/loop",
                page("<a href=/before>b</a><script>for (;;) {}</script>"),
            )
            .route(
                "/late-loop",
                page("<script>setTimeout(() => { for (;;) {} }, 50)</script>"),
            )
            .route(
                "/ok",
                page("<script>document.write('<a href=/after>a</a>')</script>"),
            ),
    );
    // Long enough for a page to render on a loaded machine, short for a test.
    let cfg = render_config(browser)
        .timeout(Duration::from_secs(6))
        .render_concurrency(1)
        .concurrency(1)
        .build()
        .expect("config");
    let list = [
        server.url("/loop"),
        server.url("/late-loop"),
        server.url("/ok"),
    ];
    let done = crawl(cfg, list).await;
    let records = done.sink.records();
    for path in ["/loop", "/late-loop"] {
        let record = record_of(&records, &server.url_str(path));
        match &record.outcome {
            Outcome::Failed { reason, message } => {
                assert_eq!(*reason, FailureKind::Render, "{path}: {message}");
                assert!(message.contains("deadline"), "{path}: {message}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    assert_eq!(
        done.links_of(&server.url_str("/ok")),
        vec![server.url_str("/after")]
    );
    assert_eq!(done.failures(FailureKind::Render), 2);
}

/// A script that sends the page elsewhere: recorded as a redirect, and its target
/// crawled as a redirect's would be (within depth and scope), not written as a link.
#[tokio::test]
async fn a_script_navigation_is_recorded_as_a_redirect() {
    let Some(browser) = require("a_script_navigation_is_recorded_as_a_redirect") else {
        return;
    };
    let server = TestServer::start(
        Routes::new()
            .route(
                "/go",
                page("<script>location.href = '/landing?from=go'</script>"),
            )
            .dynamic("/landing", |_| page("<a href=/end>end</a>")),
    );
    let go = server.url("/go");
    let cfg = render_config(browser).depth(1).build().expect("config");
    let done = crawl(cfg, [go.clone()]).await;
    let records = done.sink.records();
    let record = record_of(&records, go.as_str());
    let landing = server.url("/landing?from=go");
    assert_eq!(record.redirects, vec![landing.clone()], "{record:?}");
    assert_eq!(record.outcome, Outcome::Fetched);
    assert!(done.links_of(go.as_str()).is_empty());
    assert_eq!(
        done.links_of(landing.as_str()),
        vec![server.url_str("/end")]
    );
    assert_eq!(server.hits("/landing?from=go"), 1, "fetched by crawl, once");
}

/// The browser reaches nothing by itself: with `--block-private`, a script's fetch,
/// a frame and an image to a loopback literal and a name that resolves to loopback
/// never arrive, and a popup (a target crawl does not intercept) has no network at
/// all. Without the guard the same fetch and frame arrive (so the test can fail).
#[tokio::test]
async fn block_private_holds_for_every_request_the_browser_makes() {
    let Some(browser) = require("block_private_holds_for_every_request_the_browser_makes") else {
        return;
    };
    let hidden = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .route("/secret", Reply::html("[\"/leaked\"]"))
            .route("/frame", Reply::html("<a href=/x>x</a>"))
            .route("/popup", Reply::html("popup"))
            .route("/img", Reply::html("img")),
    );
    let port = hidden.addr().port();
    let body = format!(
        r#"<iframe src="http://127.0.0.2:{port}/frame"></iframe><img src="http://127.0.0.2:{port}/img">
<script>
window.open("http://127.0.0.2:{port}/popup");
const add = (href) => {{ const a = document.createElement("a"); a.href = href; document.body.appendChild(a); }};
fetch("http://127.0.0.2:{port}/secret", {{mode: "no-cors"}}).then(r => r.text()).then(() => add("/got-secret"), () => add("/refused"));
fetch("http://localhost:{port}/secret", {{mode: "no-cors"}}).then(() => add("/got-localhost"), () => add("/refused-localhost"));
</script>"#
    );
    let site = TestServer::start(Routes::new().route("/", page(&body)));
    let url = Url::parse(&format!("http://site.test:{}/", site.addr().port())).expect("URL");
    let mut cfg = render_config(browser.clone())
        .block_private(true)
        .build()
        .expect("config");
    // As in security.rs: the one "public" site resolves to loopback through
    // `resolve`, which `build()` refuses to users.
    cfg.resolve.push(("site.test".to_owned(), site.addr().ip()));
    let done = crawl(cfg, [url.clone()]).await;
    let found = done.links_of(url.as_str());
    assert!(
        found.contains(&format!("http://site.test:{}/refused", site.addr().port())),
        "{found:?}"
    );
    assert!(
        found.contains(&format!(
            "http://site.test:{}/refused-localhost",
            site.addr().port()
        )),
        "{found:?}"
    );
    assert_eq!(hidden.total_hits(), 0, "{:?}", hidden.requests());

    // Without the guard, the fetch and the frame arrive; the popup still does not.
    let open = TestServer::start(Routes::new().route("/", page(&body)));
    let url = open.url("/");
    let cfg = render_config(browser).build().expect("config");
    let done = crawl(cfg, [url.clone()]).await;
    assert!(
        done.links_of(url.as_str())
            .contains(&open.url_str("/got-secret")),
        "{:?}",
        done.links_of(url.as_str())
    );
    assert_eq!(hidden.hits("/secret"), 1);
    assert_eq!(hidden.hits("/frame"), 1);
    assert_eq!(hidden.hits("/popup"), 0, "a popup has no network");
    assert_eq!(hidden.hits("/img"), 0, "images are not loaded");
}

/// The body cap applies to the rendered DOM: a script that grows the page past it
/// fails the page as too large.
#[tokio::test]
async fn the_body_cap_applies_to_the_rendered_dom() {
    let Some(browser) = require("the_body_cap_applies_to_the_rendered_dom") else {
        return;
    };
    let server = TestServer::start(Routes::new().route(
        "/grow",
        page("<script>document.body.append('x'.repeat(200000))</script>"),
    ));
    let url = server.url("/grow");
    let cfg = render_config(browser)
        .max_body(100_000)
        .build()
        .expect("config");
    let done = crawl(cfg, [url.clone()]).await;
    assert_eq!(done.failures(FailureKind::TooLarge), 1);
    let records = done.sink.records();
    match &record_of(&records, url.as_str()).outcome {
        Outcome::Failed { message, .. } => assert!(message.contains("rendered DOM"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// Every fixture page gives the same pairs rendered as parsed statically, with every
/// kind of link (`--links all`), charsets included; the one script in the corpus
/// adds its link.
#[tokio::test]
async fn static_fixtures_give_the_same_pairs_rendered() {
    let Some(browser) = require("static_fixtures_give_the_same_pairs_rendered") else {
        return;
    };
    let root = crate::support::fixture_path("");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let mut routes = Routes::new();
    let mut paths = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under fixtures");
        let path = format!("/{}", rel.to_string_lossy());
        routes = routes.route(
            path.clone(),
            Reply::html(std::fs::read(file).expect("fixture")),
        );
        paths.push(path);
    }
    let server = TestServer::start(routes);
    let list: Vec<Url> = paths.iter().map(|p| server.url(p)).collect();
    let pairs = |cfg: Config| {
        let list = list.clone();
        async move {
            let done = crawl(cfg, list).await;
            let mut pairs = done.pairs();
            pairs.sort();
            (pairs, done.sink.records())
        }
    };
    let all = crawl::LinkKinds::ALL;
    let (static_pairs, _) = pairs(
        config()
            .respect_robots(false)
            .links(all)
            .build()
            .expect("config"),
    )
    .await;
    let (rendered_pairs, records) =
        pairs(render_config(browser).links(all).build().expect("config")).await;
    assert!(static_pairs.len() > 100, "{}", static_pairs.len());
    let rendered: Vec<&PageRecord> = records.iter().filter(|r| r.rendered).collect();
    assert_eq!(rendered.len(), paths.len(), "{records:#?}");
    let only_static: Vec<_> = static_pairs
        .iter()
        .filter(|p| !rendered_pairs.contains(p))
        .collect();
    // The one page of the corpus with a script: its document.write link is the
    // rendered crawl's only extra pair.
    let scripted = (
        server.url_str("/site/index.html"),
        server.url_str("/site/scripted.html"),
    );
    assert!(rendered_pairs.contains(&scripted), "{rendered_pairs:#?}");
    let only_rendered: Vec<_> = rendered_pairs
        .iter()
        .filter(|p| !static_pairs.contains(p) && **p != scripted)
        .collect();
    assert!(
        only_static.is_empty() && only_rendered.is_empty(),
        "static only: {only_static:#?}\nrendered only: {only_rendered:#?}"
    );
}

/// No browser: `--render` is a usage error naming what to install.
#[test]
fn render_without_a_browser_is_exit_2() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://127.0.0.1:9/\n");
    let run = crate::support::bin::wait(
        bin.command(&["urls.txt", "--render"])
            .env("PATH", bin.path("empty"))
            .spawn()
            .expect("spawn crawl"),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("--render needs Chromium"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--browser"), "{}", run.stderr);

    let run = bin.run(&["urls.txt", "--render", "--browser", "/no/such/chromium"]);
    run.assert_code(2);
    assert!(run.stderr.contains("/no/such/chromium"), "{}", run.stderr);
}

/// Tabs share one browser, but no page sees what an earlier one stored: its origin's
/// storage is cleared when its tab closes.
#[tokio::test]
async fn a_page_sees_nothing_an_earlier_page_stored() {
    let Some(browser) = require("a_page_sees_nothing_an_earlier_page_stored") else {
        return;
    };
    let script = r#"<script>
const add = (href) => { const a = document.createElement("a"); a.href = href; document.body.appendChild(a); };
if (localStorage.getItem("seen")) add("/saw-storage");
if (document.cookie) add("/saw-cookie");
if (!localStorage.getItem("seen") && !document.cookie) add("/clean");
localStorage.setItem("seen", "1");
document.cookie = "seen=1";
</script>"#;
    let server = TestServer::start(
        Routes::new()
            .route("/first", page(script))
            .route("/second", page(script)),
    );
    let cfg = render_config(browser)
        .render_concurrency(1)
        .concurrency(1)
        .build()
        .expect("config");
    let (first, second) = (server.url("/first"), server.url("/second"));
    let done = crawl(cfg, [first.clone(), second.clone()]).await;
    for url in [first, second] {
        assert_eq!(
            done.links_of(url.as_str()),
            vec![server.url_str("/clean")],
            "{url}"
        );
    }
}

/// At most `--render-concurrency` pages are in the browser at once, whatever
/// `--concurrency` allows: each page holds its tab while its script loads slowly
/// from another server, which sees at most 2 such requests at once, and 2 reached.
#[tokio::test]
async fn at_most_render_concurrency_tabs_are_open() {
    let Some(browser) = require("at_most_render_concurrency_tabs_are_open") else {
        return;
    };
    let scripts = TestServer::start(Routes::new().dynamic("/s", |_| {
        Reply::delayed(
            Duration::from_millis(400),
            Reply::typed(Some("text/javascript"), "1"),
        )
    }));
    let src = scripts.url_str("/s");
    let server = TestServer::start(Routes::new().dynamic("/p", move |path| {
        page(&format!(
            "<script src=\"{src}{path}\"></script><a href=/x>x</a>"
        ))
    }));
    let list: Vec<Url> = (0..6).map(|i| server.url(&format!("/p{i}"))).collect();
    let cfg = render_config(browser)
        .render_concurrency(2)
        .concurrency(8)
        .build()
        .expect("config");
    let done = crawl(cfg, list.clone()).await;
    for url in &list {
        assert_eq!(
            done.links_of(url.as_str()),
            vec![server.url_str("/x")],
            "{url}"
        );
    }
    assert_eq!(scripts.total_hits(), 6);
    assert_eq!(scripts.max_in_flight(), 2);
}
