//! Every kind of link (`--links`), and the CSS scope (`--select`).

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::*;

const DOC: &str = "https://example.com/start/index.html";

fn fixture() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/links/kinds.html");
    std::fs::read_to_string(path).expect("fixtures/links/kinds.html")
}

fn all(kinds: LinkKinds) -> LinkFilter {
    LinkFilter {
        kinds,
        select: None,
    }
}

fn extract_with(html: &str, filter: &LinkFilter) -> Vec<(LinkTag, &'static str, String)> {
    let doc = Url::parse(DOC).expect("url");
    try_extract(&doc, html, ExtractOptions::default(), filter, || None)
        .links
        .into_iter()
        .map(|l| (l.tag, l.attr(), l.url.to_string()))
        .collect()
}

#[test]
fn every_kind_of_the_fixture_in_document_order() {
    use LinkTag::*;
    let b = |p: &str| format!("https://example.com/base/dir/{p}");
    let got = extract_with(&fixture(), &all(LinkKinds::ALL));
    let expected: Vec<(LinkTag, &str, String)> = vec![
        (Link, "href", b("style.css")),
        (Link, "href", "https://example.com/favicon.ico".into()),
        (Link, "href", "https://cdn.example/font.woff2".into()),
        (Script, "src", b("app.js?a=1&b=2")),
        (
            Meta,
            "content",
            "https://example.com/base/refreshed.html".into(),
        ),
        (A, "href", b("page.html")),
        (Area, "href", "https://example.com/base/area.html".into()),
        (Img, "src", b("img/a.png")),
        (Img, "srcset", b("img/a-1x.png")),
        (Img, "srcset", b("img/a,2x.png")),
        (Img, "srcset", b("img/a-3x.png")),
        (Img, "srcset", b("img/w-100.png")),
        (Img, "srcset", b("img/w-200.png")),
        (Source, "srcset", b("pic/large.webp")),
        (Img, "src", b("pic/small.jpg")),
        (Video, "src", b("media/movie.mp4")),
        (Video, "poster", b("media/poster.jpg")),
        (Source, "src", b("media/movie.webm")),
        (Track, "src", b("media/subs.vtt")),
        (Audio, "src", b("media/sound.ogg")),
        (Iframe, "src", b("frames/inner.html")),
        (Embed, "src", b("plugin.swf")),
        (Object, "data", b("data/object.pdf")),
        (Form, "action", "https://example.com/search?q=a".into()),
        (Input, "src", b("buttons/go.png")),
        (
            Button,
            "formaction",
            "https://example.com/other-action".into(),
        ),
        (Blockquote, "cite", "https://quotes.example/source".into()),
        (Q, "cite", b("q-source.html")),
        (Del, "cite", b("why-deleted.html")),
        (Ins, "cite", b("why-inserted.html")),
        // Another kind than the `<img>` before: written again, once.
        (A, "href", b("img/a.png")),
        (Img, "src", b("page.html")),
        (Img, "src", b("img/tabnewline.png")),
    ];
    assert_eq!(got, expected);
}

#[test]
fn the_default_is_hyperlinks_only_and_unchanged() {
    let html = fixture();
    let doc = Url::parse(DOC).expect("url");
    let before = extract_links(&doc, &html, ExtractOptions::default());
    let filtered = try_extract(
        &doc,
        &html,
        ExtractOptions::default(),
        &LinkFilter::default(),
        || None,
    );
    assert_eq!(before, filtered.links);
    let got: Vec<_> = before.iter().map(|l| (l.tag, l.url.path())).collect();
    assert_eq!(
        got,
        [
            (LinkTag::A, "/base/dir/page.html"),
            (LinkTag::Area, "/base/area.html"),
            (LinkTag::A, "/base/dir/img/a.png"),
        ]
    );
}

/// The simple kinds (one URL per attribute) found again with scraper's DOM, its
/// selector engine and `Url::join`: an independent reading of the fixture.
#[test]
fn simple_kinds_agree_with_scrapers_dom() {
    let html = fixture();
    let dom = Html::parse_document(&html);
    let sel = |css: &str| Selector::parse(css).expect("selector");
    let base_href = dom
        .select(&sel("base[href]"))
        .next()
        .and_then(|b| b.attr("href"))
        .expect("base");
    let base = Url::parse(DOC)
        .expect("url")
        .join(base_href)
        .expect("base url");
    let in_document = |el: &ElementRef<'_>| {
        el.value().name.ns == html5ever::ns!(html)
            && !el.ancestors().any(|n| n.value().is_fragment())
    };
    let table: &[(&str, LinkTag, &str)] = &[
        ("a[href]", LinkTag::A, "href"),
        ("area[href]", LinkTag::Area, "href"),
        ("link[href]", LinkTag::Link, "href"),
        ("script[src]", LinkTag::Script, "src"),
        ("iframe[src]", LinkTag::Iframe, "src"),
        ("embed[src]", LinkTag::Embed, "src"),
        ("object[data]", LinkTag::Object, "data"),
        ("video[poster]", LinkTag::Video, "poster"),
        ("audio[src]", LinkTag::Audio, "src"),
        ("track[src]", LinkTag::Track, "src"),
        ("input[type=image i][src]", LinkTag::Input, "src"),
        ("form[action]", LinkTag::Form, "action"),
        ("button[formaction]", LinkTag::Button, "formaction"),
        (
            "blockquote[cite], q[cite], del[cite], ins[cite]",
            LinkTag::Q,
            "cite",
        ),
    ];
    let ours = extract_with(&html, &all(LinkKinds::ALL));
    for &(css, tag, attr) in table {
        let mut expected: Vec<String> = dom
            .select(&sel(css))
            .filter(in_document)
            .filter_map(|el| el.attr(attr))
            .filter(|v| !v.trim().is_empty())
            .filter_map(|v| base.join(v).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|mut u| {
                u.set_fragment(None);
                u.to_string()
            })
            .collect();
        expected.dedup();
        let mut got: Vec<String> = ours
            .iter()
            .filter(|(t, a, _)| *a == attr && (*t == tag || (attr == "cite" && t.as_str() != "a")))
            .map(|(_, _, u)| u.clone())
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{css}");
    }
}

#[test]
fn frames_refreshes_and_kinds_by_name() {
    let html = r#"<frameset><frame src="left.html"><frame src=" "></frameset>"#;
    let got = extract_with(html, &all("frame".parse().expect("kinds")));
    assert_eq!(
        got,
        [(
            LinkTag::Frame,
            "src",
            "https://example.com/start/left.html".to_owned()
        )]
    );
    let html = r#"<meta http-equiv=refresh content="0;url=&quot;/q&quot;"><meta http-equiv=refresh content="5">"#;
    let got = extract_with(html, &all("meta".parse().expect("kinds")));
    assert_eq!(
        got,
        [(LinkTag::Meta, "content", "https://example.com/q".to_owned())]
    );
    // Only the kinds asked for.
    let got = extract_with(&fixture(), &all("a,script".parse().expect("kinds")));
    assert!(
        got.iter()
            .all(|(t, _, _)| matches!(t, LinkTag::A | LinkTag::Script))
    );
    assert_eq!(
        got.iter().filter(|(t, _, _)| *t == LinkTag::Script).count(),
        1
    );
}

#[test]
fn kinds_parse_and_print() {
    assert_eq!("hyperlinks".parse(), Ok(LinkKinds::HYPERLINKS));
    assert_eq!("all".parse(), Ok(LinkKinds::ALL));
    assert_eq!("a,area".parse(), Ok(LinkKinds::HYPERLINKS));
    let kinds: LinkKinds = " IMG , hyperlinks,header".parse().expect("kinds");
    assert_eq!(kinds.to_string(), "a,area,img,header");
    assert!(kinds.contains(LinkTag::Header) && !kinds.contains(LinkTag::Script));
    assert_eq!(LinkKinds::ALL.to_string(), "all");
    assert_eq!(LinkKinds::default().to_string(), "hyperlinks");
    let err = "a,imgs".parse::<LinkKinds>().expect_err("unknown");
    assert!(err.to_string().contains("\"imgs\""), "{err}");
    assert!("".parse::<LinkKinds>().is_err());
    for tag in LinkTag::ALL {
        assert_eq!(LinkTag::from_name(tag.as_str()), Some(tag));
    }
}

#[test]
fn header_links_resolve_against_the_response_url() {
    let doc = Url::parse(DOC).expect("url");
    let headers = [
        (
            LinkAttr::LinkHeader,
            r#"</style.css>; rel=preload; as=style, <next.html>; rel="next", <mailto:x@y>"#,
        ),
        (LinkAttr::RefreshHeader, "3; url=/moved"),
        (
            LinkAttr::LinkHeader,
            "<https://example.com/style.css#x>; rel=preload",
        ),
        (LinkAttr::RefreshHeader, "10"),
    ];
    let got: Vec<_> = header_links(&doc, &headers, ExtractOptions::default())
        .into_iter()
        .map(|l| (l.tag, l.attr(), l.url.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (
                LinkTag::Header,
                "link",
                "https://example.com/style.css".to_owned()
            ),
            (
                LinkTag::Header,
                "link",
                "https://example.com/start/next.html".to_owned()
            ),
            (
                LinkTag::Header,
                "refresh",
                "https://example.com/moved".to_owned()
            ),
        ]
    );
}

#[test]
fn select_keeps_links_inside_matches_nested_or_not() {
    let html = r#"<base href="/b/">
        <nav><a href="nav">n</a></nav>
        <main class="content"><a href="m1">1</a>
          <article><a href="m2">2</a><img src="i.png"></article>
        </main>
        <article id="x"><section><a href="a1">3</a></section></article>
        <a class="content" href="self">4</a>
        <footer><a href="m1">again, outside</a></footer>"#;
    let filter = |css: &[&str], kinds| LinkFilter {
        kinds,
        select: Some(Select::parse(css.iter().copied()).expect("selector")),
    };
    let urls = |f: &LinkFilter| -> Vec<String> {
        extract_with(html, f)
            .into_iter()
            .map(|(_, _, u)| u)
            .collect()
    };
    let b = |p: &str| format!("https://example.com/b/{p}");
    assert_eq!(
        urls(&filter(&["main, article"], LinkKinds::HYPERLINKS)),
        [b("m1"), b("m2"), b("a1")]
    );
    // Repeated selectors: inside any; the link element itself may match.
    assert_eq!(
        urls(&filter(&["#x", ".content"], LinkKinds::ALL)),
        [b("m1"), b("m2"), b("i.png"), b("a1"), b("self")]
    );
    assert_eq!(
        urls(&filter(&["aside"], LinkKinds::ALL)),
        Vec::<String>::new()
    );
    // The same through scraper's tree given by the caller.
    let dom = Html::parse_document(html);
    let doc = Url::parse(DOC).expect("url");
    let f = filter(&["main"], LinkKinds::HYPERLINKS);
    let got: Vec<String> = links_in_document_filtered(&doc, &dom, ExtractOptions::default(), &f)
        .into_iter()
        .map(|l| l.url.to_string())
        .collect();
    assert_eq!(got, [b("m1"), b("m2")]);
}

#[test]
fn select_that_does_not_parse_names_itself() {
    let err = Select::parse(["main", "div[", "p"]).expect_err("invalid");
    assert_eq!(err.selector, "div[");
    assert!(
        err.to_string()
            .starts_with("the selector \"div[\" does not parse: "),
        "{err}"
    );
}

#[test]
fn the_lean_parse_and_scrapers_tree_agree_on_every_kind() {
    let html = fixture();
    let doc = Url::parse(DOC).expect("url");
    let lean = extract_with(&html, &all(LinkKinds::ALL));
    let dom = Html::parse_document(&html);
    let full: Vec<_> =
        links_in_document_filtered(&doc, &dom, ExtractOptions::default(), &all(LinkKinds::ALL))
            .into_iter()
            .map(|l| (l.tag, l.attr(), l.url.to_string()))
            .collect();
    assert_eq!(lean, full);
}

#[test]
fn void_link_elements_are_kept_past_the_depth_cap() {
    let html = format!(
        "{}<img src=/deep.png><a href=/deep>d</a>",
        "<div>".repeat(crate::parse::MAX_DEPTH + 100)
    );
    let got = extract_with(&html, &all(LinkKinds::ALL));
    let paths: Vec<&str> = got.iter().map(|(_, _, u)| u.as_str()).collect();
    assert_eq!(
        paths,
        ["https://example.com/deep.png", "https://example.com/deep"]
    );
}

/// Every HTML file under `fixtures/`.
fn corpus() -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let bytes = std::fs::read(&path).expect("fixture");
                files.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    files
}

/// On the fixtures corpus, the default filter gives exactly `extract_links`'s links,
/// and asking for every kind adds links without changing the hyperlinks.
#[test]
fn the_corpus_hyperlinks_are_unchanged_by_other_kinds() {
    let doc = Url::parse(DOC).expect("url");
    let opts = ExtractOptions::default();
    let files = corpus();
    assert!(files.len() > 10, "the corpus: {}", files.len());
    for (path, html) in files {
        let before = extract_links(&doc, &html, opts);
        let default = try_extract(&doc, &html, opts, &LinkFilter::default(), || None).links;
        assert_eq!(before, default, "{}", path.display());
        let hyperlinks: Vec<Link> = try_extract(&doc, &html, opts, &all(LinkKinds::ALL), || None)
            .links
            .into_iter()
            .filter(|l| matches!(l.tag, LinkTag::A | LinkTag::Area))
            .collect();
        assert_eq!(before, hyperlinks, "{}", path.display());
    }
}
