//! Request options: `-H` headers, basic authentication, a listed URL's userinfo, the
//! cookie jar and proxies; and where credentials go. The rule under test: credentials
//! reach the origins they were given for (the listed URLs' origins; a userinfo's own
//! origin; cookies by their domain) and no other, whether a redirect or a followed link
//! leads elsewhere.
//!
//! The hosts: A is the listed origin on 127.0.0.1; C is 127.0.0.1 on another port (the
//! same host, another origin); B is 127.0.0.2.

use crawl::config::Scope;
use crawl::fetch::{BasicAuth, RequestHeader};
use url::Url;

use crate::support::proxy::{HttpProxy, Socks5Proxy};
use crate::support::{Bin, Reply, Routes, TestServer, capture_logs, config, crawl};

/// A (listed), B and C as described in the module docs. A's `/` links to `/abs` on A
/// (absolute), `/b` on B and `/c` on C; A's `/r` redirects to B's `/t`, `/rc` to C's.
struct Hosts {
    a: TestServer,
    b: TestServer,
    c: TestServer,
}

impl Hosts {
    fn start() -> Hosts {
        let pages = || {
            ["/b", "/c", "/t"].iter().fold(Routes::new(), |r, p| {
                r.route(*p, Reply::html("<p>elsewhere</p>"))
            })
        };
        let b = TestServer::start_on("127.0.0.2", pages());
        let c = TestServer::start(pages());
        let a = TestServer::start_with_base("127.0.0.1", |base| {
            Routes::new()
                .route(
                    "/",
                    Reply::html(format!(
                        r#"<a href="{base}/abs">same origin</a>
                        <a href="{}">other host</a> <a href="{}">other port</a>"#,
                        b.url_str("/b"),
                        c.url_str("/c")
                    )),
                )
                .route("/abs", Reply::html("<p>same origin</p>"))
                .route("/r", Reply::redirect(302, &b.url_str("/t")))
                .route("/rc", Reply::redirect(302, &c.url_str("/t")))
        });
        Hosts { a, b, c }
    }

    /// The listed URLs: A's `/`, `/r` and `/rc`, with `userinfo` (`user:password@`)
    /// if given.
    fn seeds(&self, userinfo: &str) -> Vec<Url> {
        ["/", "/r", "/rc"]
            .iter()
            .map(|p| {
                let s = format!("http://{userinfo}{}{p}", self.a.addr());
                Url::parse(&s).expect("test URL")
            })
            .collect()
    }

    /// Asserts that every request each host saw has header `name` as expected: `Some`
    /// on A, and none on B and C; and that B and C were asked (by link and by
    /// redirect), so their silence means something.
    #[track_caller]
    fn assert_only_a_got(&self, name: &str, value: &str) {
        assert!(
            self.a.hits("/abs") == 1,
            "the same-origin link was followed"
        );
        for path in ["/b", "/t"] {
            assert_eq!(self.b.hits(path), 1, "B {path}: {:#?}", self.b.requests());
        }
        for path in ["/c", "/t"] {
            assert_eq!(self.c.hits(path), 1, "C {path}: {:#?}", self.c.requests());
        }
        for seen in self.a.requests() {
            assert_eq!(seen.header(name), Some(value), "A {}", seen.path);
        }
        for (host, server) in [("B", &self.b), ("C", &self.c)] {
            for seen in server.requests() {
                assert_eq!(seen.header(name), None, "{host} {} got {name}", seen.path);
            }
        }
    }
}

fn headers(list: &[&str]) -> Vec<RequestHeader> {
    list.iter()
        .map(|h| h.parse().expect("valid header"))
        .collect()
}

fn recursive() -> crawl::ConfigBuilder {
    config().depth(1).scope(Scope::Any)
}

#[tokio::test]
async fn plain_headers_go_with_every_request() {
    let hosts = Hosts::start();
    let cfg = recursive()
        .headers(headers(&[
            "X-Crawl-Test: yes",
            "Accept-Language: de, en;q=0.5",
        ]))
        .build()
        .expect("config");
    let done = crawl(cfg, hosts.seeds("")).await;
    assert_eq!(done.summary.pages, 6, "{:?}", done.summary);
    for server in [&hosts.a, &hosts.b, &hosts.c] {
        let seen = server.requests();
        assert!(
            seen.iter().any(|r| r.path == "/robots.txt"),
            "robots.txt too"
        );
        for r in seen {
            assert_eq!(r.header("x-crawl-test"), Some("yes"), "{}", r.path);
            assert_eq!(r.header("accept-language"), Some("de, en;q=0.5"));
        }
    }
}

#[tokio::test]
async fn credential_headers_reach_the_listed_origin_only() {
    let hosts = Hosts::start();
    let cfg = recursive()
        .headers(headers(&[
            "Authorization: Bearer t0ken",
            "Cookie: sid=c00kie",
            "X-Plain: p",
        ]))
        .build()
        .expect("config");
    crawl(cfg, hosts.seeds("")).await;
    hosts.assert_only_a_got("authorization", "Bearer t0ken");
    hosts.assert_only_a_got("cookie", "sid=c00kie");
    for server in [&hosts.b, &hosts.c] {
        assert!(
            server
                .requests()
                .iter()
                .all(|r| r.header("x-plain") == Some("p"))
        );
    }
}

#[tokio::test]
async fn basic_auth_reaches_the_listed_origin_only() {
    let hosts = Hosts::start();
    let cfg = recursive()
        .basic_auth(Some(BasicAuth::new("me", "pw").expect("valid")))
        .build()
        .expect("config");
    crawl(cfg, hosts.seeds("")).await;
    hosts.assert_only_a_got("authorization", "Basic bWU6cHc=");
}

#[tokio::test]
async fn a_listed_urls_userinfo_is_its_origins_and_leaves_the_url() {
    let hosts = Hosts::start();
    let (logs, _guard) = capture_logs();
    let done = crawl(recursive().build().expect("config"), hosts.seeds("me:pw@")).await;
    // Also the same-origin pages that carried no userinfo: `/abs`, robots.txt.
    hosts.assert_only_a_got("authorization", "Basic bWU6cHc=");
    let sources: Vec<String> = done
        .pages()
        .iter()
        .map(|p| p.source().to_string())
        .collect();
    assert!(sources.contains(&hosts.a.url_str("/")), "{sources:?}");
    for text in sources.iter().chain(done.pairs().iter().map(|(_, t)| t)) {
        assert!(
            !text.contains("pw@"),
            "the output carries no password: {text}"
        );
    }
    for event in logs.all() {
        assert!(!event.message.contains("me:pw"), "{}", event.message);
    }
}

#[tokio::test]
async fn userinfo_beats_user_for_its_origin() {
    let hosts = Hosts::start();
    let cfg = recursive()
        .basic_auth(Some(BasicAuth::new("alice", "wonder:land").expect("valid")))
        .build()
        .expect("config");
    let mut seeds = hosts.seeds("");
    // The other listed origin, C, with a userinfo of its own.
    seeds.push(Url::parse(&format!("http://me:pw@{}/own", hosts.c.addr())).expect("url"));
    crawl(cfg, seeds).await;
    for r in hosts.a.requests() {
        assert_eq!(
            r.header("authorization"),
            Some("Basic YWxpY2U6d29uZGVyOmxhbmQ=")
        );
    }
    for r in hosts.c.requests() {
        assert_eq!(
            r.header("authorization"),
            Some("Basic bWU6cHc="),
            "{}",
            r.path
        );
    }
    assert!(
        hosts
            .b
            .requests()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
}

/// The jar: read at the start, cookies set by servers (also on a redirect) kept and
/// sent by their domain rules, a `-H` cookie sent along, and all written back.
#[tokio::test]
async fn the_cookie_jar_round_trip() {
    let b = TestServer::start_on("127.0.0.2", Routes::new());
    let a = TestServer::start(
        Routes::new()
            .route(
                "/login",
                Reply::full(302, "")
                    .header("Location", "/home")
                    .header("Set-Cookie", "session=s1; Path=/; HttpOnly"),
            )
            .route(
                "/home",
                Reply::html(format!(
                    r#"<a href="/next">n</a> <a href="{}">b</a>"#,
                    b.url_str("/b")
                ))
                .header("Set-Cookie", "theme=dark; Path=/; Max-Age=86400"),
            )
            .route("/next", Reply::html("<p>next</p>")),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let jar = dir.path().join("cookies.txt");
    std::fs::write(
        &jar,
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tfromjar\t1\n\
         127.0.0.2\tFALSE\t/\tFALSE\t0\tforb\t2\n",
    )
    .expect("write jar");
    let cfg = recursive()
        .cookie_jar(Some(jar.clone()))
        .headers(headers(&["Cookie: given=h"]))
        .build()
        .expect("config");
    crawl(cfg, [a.url("/login")]).await;
    let cookies = |server: &TestServer, path: &str| -> Vec<String> {
        let seen = server.requests();
        let r = seen.iter().find(|r| r.path == path).expect(path);
        let mut list: Vec<String> = r
            .header("cookie")
            .unwrap_or_default()
            .split("; ")
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        list.sort();
        list
    };
    assert_eq!(cookies(&a, "/login"), ["fromjar=1", "given=h"]);
    assert_eq!(cookies(&a, "/home"), ["fromjar=1", "given=h", "session=s1"]);
    assert_eq!(
        cookies(&a, "/next"),
        ["fromjar=1", "given=h", "session=s1", "theme=dark"]
    );
    // B has its own jar cookie and nothing of A's.
    assert_eq!(cookies(&b, "/b"), ["forb=2"]);
    let written = std::fs::read_to_string(&jar).expect("the jar is written back");
    let mut lines: Vec<&str> = written.lines().filter(|l| l.contains('\t')).collect();
    lines.sort_unstable();
    assert_eq!(lines.len(), 4, "{written}");
    assert!(lines[0].starts_with("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\ts1"));
    assert_eq!(lines[1], "127.0.0.1\tFALSE\t/\tFALSE\t0\tfromjar\t1");
    assert!(
        lines[2].starts_with("127.0.0.1\tFALSE\t/\tFALSE\t"),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with("\ttheme\tdark"),
        "persistent, with its expiry"
    );
    assert_eq!(lines[3], "127.0.0.2\tFALSE\t/\tFALSE\t0\tforb\t2");
    assert!(!written.contains("given"), "a -H cookie is not the jar's");
}

#[test]
fn the_binary_reads_and_writes_the_jar() {
    let server = TestServer::start(Routes::new().route(
        "/",
        Reply::html("<p>x</p>").header("Set-Cookie", "new=1; Path=/"),
    ));
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    bin.write("jar.txt", "127.0.0.1\tFALSE\t/\tFALSE\t0\told\t0\n");
    let run = bin.run(&["urls.txt", "-o", "out.tsv", "--cookie-jar", "jar.txt"]);
    run.assert_code(0);
    let seen = server.requests();
    let page = seen.iter().find(|r| r.path == "/").expect("the page");
    assert_eq!(page.header("cookie"), Some("old=0"));
    let jar = bin.read("jar.txt");
    assert!(
        jar.contains("\told\t0") && jar.contains("\tnew\t1"),
        "{jar}"
    );
}

#[tokio::test]
async fn an_http_proxy_carries_every_request_and_keeps_its_credentials() {
    let server = TestServer::start(Routes::new().route("/", Reply::html("<a href=/x>x</a>")));
    let proxy = HttpProxy::start();
    let with_auth = proxy.url().replace("http://", "http://pu:pp@");
    let (logs, _guard) = capture_logs();
    let cfg = config()
        .proxy(Some(with_auth.parse().expect("proxy URL")))
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    assert_eq!(done.summary.pages, 1, "{:?}", done.summary);
    let targets: Vec<String> = proxy.forwarded().iter().map(|f| f.target.clone()).collect();
    assert_eq!(
        targets,
        [server.url_str("/robots.txt"), server.url_str("/")]
    );
    for f in proxy.forwarded() {
        assert_eq!(f.method, "GET");
        assert_eq!(f.header("proxy-authorization"), Some("Basic cHU6cHA="));
    }
    assert_eq!(server.total_hits(), 2);
    for r in server.requests() {
        assert_eq!(
            r.header("proxy-authorization"),
            None,
            "it stops at the proxy"
        );
    }
    for event in logs.all() {
        assert!(!event.message.contains("pu:pp"), "{}", event.message);
    }
}

#[tokio::test]
async fn a_socks5_proxy_carries_every_request() {
    let server = TestServer::start(Routes::new().route("/", Reply::html("<p>x</p>")));
    let proxy = Socks5Proxy::start();
    let cfg = config()
        .proxy(Some(proxy.url("socks5").parse().expect("proxy URL")))
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    assert_eq!(done.summary.pages, 1, "{:?}", done.summary);
    let addr = server.addr().to_string();
    let connects = proxy.connects();
    assert!(!connects.is_empty());
    assert!(connects.iter().all(|c| *c == addr), "{connects:?}");
    assert_eq!(server.hits("/"), 1);
}

#[test]
fn the_environments_proxy_is_honoured_and_no_proxy_too() {
    let server = TestServer::start(Routes::new().route("/", Reply::html("<p>x</p>")));
    let proxy = HttpProxy::start();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    let run = |no_proxy: Option<&str>| {
        let mut cmd = bin.command(&["urls.txt", "-o", "out.tsv", "--ignore-robots"]);
        for var in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
            "NO_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HTTP_PROXY", proxy.url());
        if let Some(list) = no_proxy {
            cmd.env("NO_PROXY", list);
        }
        crate::support::bin::wait(cmd.spawn().expect("spawn crawl"))
    };
    run(None).assert_code(0);
    assert_eq!(proxy.forwarded().len(), 1, "HTTP_PROXY carried the request");
    run(Some("127.0.0.1")).assert_code(0);
    assert_eq!(proxy.forwarded().len(), 1, "NO_PROXY bypassed it");
    assert_eq!(server.hits("/"), 2);
}

#[test]
fn no_proxy_applies_to_the_proxy_option_too() {
    let server = TestServer::start(Routes::new().route("/", Reply::html("<p>x</p>")));
    let proxy = HttpProxy::start();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    let args = ["urls.txt", "-o", "out.tsv", "--ignore-robots", "--proxy"];
    let run = |no_proxy: &str| {
        let mut cmd = bin.command(&[&args[..], &[proxy.url().as_str()]].concat());
        cmd.env_remove("no_proxy").env("NO_PROXY", no_proxy);
        crate::support::bin::wait(cmd.spawn().expect("spawn crawl"))
    };
    run("other.test").assert_code(0);
    assert_eq!(proxy.forwarded().len(), 1, "--proxy carried the request");
    run("other.test, 127.0.0.1").assert_code(0);
    assert_eq!(proxy.forwarded().len(), 1, "NO_PROXY bypassed it");
    assert_eq!(server.hits("/"), 2);
}

#[test]
fn proxy_with_block_private_is_a_usage_error() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://example.test/\n");
    let run = bin.run(&[
        "--block-private",
        "--proxy",
        "http://me:s3cret@127.0.0.1:3128",
    ]);
    run.assert_code(2);
    for needle in ["--proxy", "--block-private", "resolves names itself"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(!bin.path("foundurls.txt").exists(), "nothing was run");
}

#[test]
fn bad_request_options_are_usage_errors_that_say_why() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://example.test/\n");
    bin.write("foundurls.txt", "keep me\n");
    for (args, needle) in [
        (&["-H", "no colon"][..], "expected \"Name: value\""),
        (&["-H", "Bad Name: x"], "not a header name"),
        (&["-H", "Host: other.test"], "cannot set Host"),
        (&["-H", "User-Agent: x"], "--user-agent"),
        (&["--user", "nopassword"], "USER:PASSWORD"),
        (
            &["--proxy", "ftp://p.test"],
            "http, https, socks5 or socks5h",
        ),
        (&["--proxy", "not a url"], "bad proxy URL"),
        (
            &["--user", "a:b", "-H", "Authorization: Bearer x"],
            "both set Authorization",
        ),
    ] {
        let run = bin.run(args);
        run.assert_code(2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert_eq!(
        bin.read("foundurls.txt"),
        "keep me\n",
        "the output was not touched"
    );
}

#[test]
fn an_unreadable_cookie_jar_is_fatal_and_named() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://example.test/\n");
    bin.write("out.tsv", "keep me\n");
    bin.write("bad.txt", "# comment\nexample.test\tTRUE\t/\n");
    std::fs::create_dir(bin.path("adir")).expect("mkdir");
    for (jar, needles) in [
        ("bad.txt", &["bad.txt line 2", "7 tab-separated fields"][..]),
        ("adir", &["adir", "cannot read"]),
    ] {
        let run = bin.run(&["urls.txt", "-o", "out.tsv", "--cookie-jar", jar]);
        run.assert_code(1);
        for needle in needles {
            assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
        }
    }
    assert_eq!(
        bin.read("out.tsv"),
        "keep me\n",
        "the output was not touched"
    );
    assert_eq!(
        bin.read("bad.txt"),
        "# comment\nexample.test\tTRUE\t/\n",
        "a jar that was not read is not written"
    );
}
