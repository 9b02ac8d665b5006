//! Which links (issue 16): `--links` kinds through a real crawl (headers included),
//! recursion that follows only navigations, and `--select`.

use crawl::extract::LinkKinds;

use crate::support::{Bin, Reply, Routes, TestServer, config, crawl};

fn site() -> TestServer {
    let page = r#"<base href="/b/">
        <link rel=stylesheet href="style.css">
        <img src="pic.png" srcset="pic-2x.png 2x">
        <main><a href="/next.html">next</a><iframe src="/frame.html"></iframe></main>
        <script src="/app.js"></script>
        <form action="/not-a-page"></form>
        <aside><a href="/aside.html">aside</a></aside>"#;
    TestServer::start(
        Routes::new()
            .route(
                "/start.html",
                Reply::html(page)
                    .header("Link", "</preload.css>; rel=preload; as=style")
                    .header("Refresh", "30; url=/refreshed.html"),
            )
            .route("/next.html", Reply::html("<p>next</p>"))
            .route("/frame.html", Reply::html("<p>frame</p>"))
            .route("/refreshed.html", Reply::html("<p>refreshed</p>"))
            .route("/aside.html", Reply::html("<p>aside</p>"))
            .route("/b/style.css", Reply::typed(Some("text/css"), "p{}"))
            .route("/app.js", Reply::typed(Some("text/javascript"), "1"))
            .route("/not-a-page", Reply::html("<p>form</p>")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_kinds_are_written_and_only_navigations_followed() {
    let server = site();
    let cfg = config()
        .respect_robots(false)
        .depth(1)
        .links(LinkKinds::ALL)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/start.html")]).await;
    let start = server.url_str("/start.html");
    let page = done
        .pages()
        .into_iter()
        .find(|p| p.source().as_str() == start)
        .expect("the start page");
    let got: Vec<(String, &str, &str)> = page
        .links
        .iter()
        .map(|l| (l.url.path().to_owned(), l.tag.as_str(), l.attr()))
        .collect();
    let want = [
        ("/preload.css", "header", "link"),
        ("/refreshed.html", "header", "refresh"),
        ("/b/style.css", "link", "href"),
        ("/b/pic.png", "img", "src"),
        ("/b/pic-2x.png", "img", "srcset"),
        ("/next.html", "a", "href"),
        ("/frame.html", "iframe", "src"),
        ("/app.js", "script", "src"),
        ("/not-a-page", "form", "action"),
        ("/aside.html", "a", "href"),
    ];
    let want: Vec<(String, &str, &str)> =
        want.iter().map(|&(p, t, a)| (p.to_owned(), t, a)).collect();
    assert_eq!(got, want);
    for followed in [
        "/next.html",
        "/frame.html",
        "/refreshed.html",
        "/aside.html",
    ] {
        assert_eq!(server.hits(followed), 1, "{followed} is fetched once");
    }
    for written_only in [
        "/b/style.css",
        "/app.js",
        "/not-a-page",
        "/preload.css",
        "/b/pic.png",
    ] {
        assert_eq!(
            server.hits(written_only),
            0,
            "{written_only} is not fetched"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_writes_hyperlinks_as_before() {
    let server = site();
    let cfg = config().respect_robots(false).build().expect("config");
    let done = crawl(cfg, [server.url("/start.html")]).await;
    assert_eq!(
        done.links_of(&server.url_str("/start.html")),
        [server.url_str("/next.html"), server.url_str("/aside.html")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_scopes_links_and_drops_header_links() {
    let server = site();
    let cfg = config()
        .respect_robots(false)
        .links(LinkKinds::ALL)
        .select(["main"])
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/start.html")]).await;
    assert_eq!(
        done.links_of(&server.url_str("/start.html")),
        [server.url_str("/next.html"), server.url_str("/frame.html")]
    );
    let cfg = config()
        .respect_robots(false)
        .select(["nav.none"])
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/start.html")]).await;
    assert!(done.links_of(&server.url_str("/start.html")).is_empty());
}

#[test]
fn cli_links_and_select() {
    let server = site();
    let bin = Bin::new();
    let url = server.url_str("/start.html");
    bin.write("urls.txt", format!("{url}\n"));
    let run = bin.run(&[
        "-o",
        "-",
        "--links",
        "a,script",
        "--format",
        "jsonl",
        "--ignore-robots",
    ]);
    run.assert_code(0);
    let rows: Vec<(String, String)> = run
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            (
                v["tag"].as_str().unwrap_or("").to_owned(),
                v["target"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("a".to_owned(), server.url_str("/next.html")),
            ("script".to_owned(), server.url_str("/app.js")),
            ("a".to_owned(), server.url_str("/aside.html")),
        ]
    );
    let run = bin.run(&["-o", "-", "--select", "aside", "--ignore-robots"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        format!("{url}\t{}\n", server.url_str("/aside.html"))
    );
}

#[test]
fn cli_csv_of_other_kinds_names_tag_and_attribute() {
    let server = site();
    let bin = Bin::new();
    let url = server.url_str("/start.html");
    bin.write("urls.txt", format!("{url}\n"));
    let run = bin.run(&[
        "-o",
        "-",
        "--links",
        "a,script",
        "--format",
        "csv",
        "--ignore-robots",
    ]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"source,target,tag,attr"),
        "{}",
        run.stdout
    );
    assert!(
        lines.contains(&format!("{url},{},script,src", server.url_str("/app.js")).as_str()),
        "{}",
        run.stdout
    );
    let run = bin.run(&["-o", "-", "--format", "csv", "--ignore-robots"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout.lines().next(),
        Some("source,target"),
        "the default's CSV is as it was"
    );
}

#[test]
fn cli_refuses_a_bad_selector_or_kind_with_exit_2() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://127.0.0.1:9/\n");
    let run = bin.run(&["--select", "main", "--select", "div[", "-o", "-"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("the selector \"div[\" does not parse"),
        "{}",
        run.stderr
    );
    let run = bin.run(&["--links", "a,imgs", "-o", "-"]);
    run.assert_code(2);
    assert!(run.stderr.contains("imgs"), "{}", run.stderr);
}
