//! Property tests: invariants of the extractor and the output formats over generated
//! HTML, hrefs and base URLs.
//!
//! Documents come from a small grammar of the elements that matter (`a`, `area`,
//! `base`, and the places a link does not count: SVG, `template`, `script`,
//! comments), with hrefs built from the pieces URL parsers get wrong: whitespace,
//! tabs and newlines, backslashes, runs of slashes, dot segments, stray `%`,
//! non-ASCII, other schemes in any case, IPv6 hosts and fragments.
//!
//! The invariants: every target is an absolute http(s) URL that parses back to
//! itself, carries no fragment unless asked, appears once, and holds no character a
//! TSV line could split on; and every output format gives back exactly the pairs.

use proptest::prelude::*;
use proptest::sample::select;
use url::Url;

use crawl::extract::{
    ExtractOptions, Link, LinkFilter, LinkKinds, extract_links, links_in_document,
    links_in_document_filtered, try_extract,
};
use crawl::sink::WriterSink;
use crawl::{Format, PageLinks, Sink};

/// Pieces an href is made of.
const PIECES: &[&str] = &[
    "a",
    "b.html",
    "..",
    ".",
    "%2e",
    "%2E%2e",
    "%",
    "%zz",
    "%41",
    "%00",
    "é",
    "日本",
    "\u{1F600}",
    "\u{FEFF}",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\\",
    "/",
    "//",
    "?",
    "?q=1&r=é",
    "#",
    "#frag",
    "#a b",
    "@",
    ":",
    ":8080",
    "[",
    "]",
    "[::1]",
    "&amp;",
    "&quot;",
    "\"",
    "'",
    "<",
    ">",
    "`",
    "{}",
    "|",
    "^",
    "\u{7f}",
    "\u{1}",
    "example.com",
    "EXAMPLE.com.",
    "xn--nxasmq6b",
    "b\u{fc}cher",
];

/// How an href may start.
const PREFIXES: &[&str] = &[
    "",
    "/",
    "//",
    "///",
    "////",
    "\\",
    "\\\\",
    "/\\",
    "\\/",
    " ",
    "\t",
    "\n ",
    "\u{0}",
    "./",
    "../",
    "../../../../",
    "?",
    "#",
    "http://",
    "https://",
    "HTTP://",
    "HtTpS://",
    "http:",
    "https:",
    "http:/",
    "http:\\\\",
    "http://user:pass@",
    "http://[::1]",
    "http://[2001:db8::1]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://127.1/",
    "http://0x7f.1/",
    "http://2130706433/",
    "http://example.com:80/",
    "https://example.com:443/",
    "http://example.com:65536/",
    "javascript:",
    "JavaScript:",
    "java\tscript:",
    "mailto:",
    "MAILTO:",
    "data:text/html,",
    "ftp://",
    "file:///",
    "ws://",
    "tel:",
    "about:blank",
    "blob:http://a/",
];

/// Whole hrefs worth trying as they are.
const FIXED: &[&str] = &[
    "",
    " ",
    "#",
    "?",
    "//",
    "///",
    "http://",
    "http:",
    "https://a/b/../../../c",
    "  https://Example.COM./%7euser/./x/../y?z#w  ",
    "\thttp://a\n.example/\rb",
    "http://[::1]:0/",
    "http://[fe80::1%25eth0]/",
    "http://a b/",
    "http://a%20b/",
    "http://xn--/",
    "http://ß.de/",
    "http://example.com/\u{0}/",
    "HTTP://EXAMPLE.COM/A?B#C",
    "//example.com//a//b",
    "\\\\example.com\\a\\b",
    "/..//example.com",
    "/.//p",
    "http://a/.//p",
    "http:/.//p",
];

fn href() -> impl Strategy<Value = String> {
    let composed = (
        select(PREFIXES),
        prop::collection::vec(select(PIECES), 0..6),
    )
        .prop_map(|(prefix, pieces)| format!("{prefix}{}", pieces.concat()));
    prop_oneof![
        1 => select(FIXED).prop_map(str::to_owned),
        4 => composed,
    ]
}

/// An attribute value in one of the three HTML quoting styles (an unquoted value
/// ends at whitespace or `>`, which is part of the fun).
fn attr(name: &'static str, value: String) -> impl Strategy<Value = String> {
    select(&[0u8, 1, 2][..]).prop_map(move |style| match style {
        0 => format!("{name}=\"{}\"", value.replace('"', "&quot;")),
        1 => format!("{name}='{}'", value.replace('\'', "&#39;")),
        _ => format!("{name}={value}"),
    })
}

/// One piece of a document.
fn element() -> impl Strategy<Value = String> {
    let link = href().prop_flat_map(|h| attr("href", h)).boxed();
    prop_oneof![
        4 => link.clone().prop_map(|a| format!("<a {a}>x</a>")),
        1 => link.clone().prop_map(|a| format!("<AREA {a}>")),
        1 => link.clone().prop_map(|a| format!("<base {a}>")),
        1 => link.clone().prop_map(|a| format!("<a {a}><a href=\"/nested\">n</a></a>")),
        1 => link.clone().prop_map(|a| format!("<svg><a {a}>s</a></svg>")),
        1 => link.clone().prop_map(|a| format!("<template><a {a}>t</a></template>")),
        1 => link.clone().prop_map(|a| format!("<script>document.write('<a {a}>')</script>")),
        1 => link.clone().prop_map(|a| format!("<!-- <a {a}> -->")),
        1 => link.prop_map(|a| format!("<div><p><a {a} href=\"/second\">d</a>")),
        1 => Just("<p>text &amp; more</p>".to_owned()),
    ]
}

/// One piece of a document with links of every kind (`--links all`): each
/// URL-bearing attribute, `srcset` lists (with commas inside URLs and descriptors),
/// refreshes, and the conditions (`type=image`, `http-equiv`).
fn any_kind_element() -> impl Strategy<Value = String> {
    let value = || {
        href()
            .prop_flat_map(|h| attr("v", h))
            .prop_map(|a| a[2..].to_owned())
    };
    let simple = (
        select(
            &[
                ("link", "href"),
                ("script", "src"),
                ("img", "src"),
                ("source", "src"),
                ("iframe", "src"),
                ("frame", "src"),
                ("embed", "src"),
                ("object", "data"),
                ("video", "src"),
                ("video", "poster"),
                ("audio", "src"),
                ("track", "src"),
                ("form", "action"),
                ("button", "formaction"),
                ("blockquote", "cite"),
                ("q", "cite"),
                ("del", "cite"),
                ("ins", "cite"),
                ("a", "href"),
                ("area", "href"),
                ("base", "href"),
            ][..],
        ),
        value(),
    )
        .prop_map(|((tag, name), v)| format!("<{tag} {name}={v}>x</{tag}>"));
    let srcset = (
        prop::collection::vec(
            (
                href(),
                select(&["", " 1x", " 2x", " 100w", " 0w", ",", " (a, b)"][..]),
            ),
            1..4,
        ),
        select(&["img", "source"][..]),
    )
        .prop_map(|(candidates, tag)| {
            let list: Vec<String> = candidates
                .into_iter()
                .map(|(h, d)| format!("{}{d}", h.replace(['"', ' '], "")))
                .collect();
            format!(
                "<{tag} srcset=\"{}\">",
                list.join(", ").replace('&', "&amp;")
            )
        });
    let refresh = href().prop_map(|h| {
        format!(
            "<meta http-equiv=refresh content=\"0; url={}\">",
            h.replace('&', "&amp;").replace('"', "&quot;")
        )
    });
    let input = value().prop_map(|v| format!("<input type=image src={v}>"));
    prop_oneof![
        6 => simple,
        2 => srcset,
        1 => refresh,
        1 => input,
        1 => element(),
    ]
}

/// A document of every kind of link.
fn any_kind_document() -> impl Strategy<Value = String> {
    prop::collection::vec(any_kind_element(), 0..12).prop_map(|v| v.concat())
}

/// Tag soup: the tokens that send the tree builder down its odd paths (foster
/// parenting, the adoption agency, reconstructed formatting, templates, foreign
/// content, select, frameset), with numbered links to show where each one lands.
const SOUP: &[&str] = &[
    "LINK",
    "LINK",
    "LINK",
    "</a>",
    "<area href=/area>",
    "<base href=/base/>",
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    "<th>",
    "<caption>",
    "<colgroup>",
    "<col>",
    "<tbody>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<nobr>",
    "</nobr>",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<span>",
    "<ul>",
    "<li>",
    "<dl>",
    "<dd>",
    "<h1>",
    "</h1>",
    "<form>",
    "</form>",
    "<button>",
    "<object>",
    "</object>",
    "<marquee>",
    "<template>",
    "</template>",
    "<select>",
    "<option>",
    "<optgroup>",
    "</select>",
    "<selectedcontent>",
    "<svg>",
    "</svg>",
    "<foreignObject>",
    "<desc>",
    "<math>",
    "<mi>",
    "</math>",
    "<textarea>",
    "</textarea>",
    "<script>",
    "</script>",
    "<title>",
    "</title>",
    "<noscript>",
    "</noscript>",
    "<frameset>",
    "<frame>",
    "<body>",
    "<html>",
    "<head>",
    "</body>",
    "</html>",
    "<br>",
    "</br>",
    "<img>",
    "<image>",
    "<hr>",
    "<plaintext>",
    "x",
    " ",
    "<!--c-->",
    "<?pi>",
    "<!DOCTYPE html>",
    "<a name=n>",
    "<font color=red>",
    "<font face=x>",
    "<applet>",
    "<iframe>",
    "</iframe>",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((select(SOUP), 0..100u32), 0..80).prop_map(|tokens| {
        tokens
            .into_iter()
            .map(|(t, n)| match t {
                "LINK" => format!("<a href=/{n}>"),
                t => t.to_owned(),
            })
            .collect()
    })
}

fn document() -> impl Strategy<Value = String> {
    (prop::bool::ANY, prop::collection::vec(element(), 0..12)).prop_map(|(doctype, parts)| {
        let head = if doctype { "<!DOCTYPE html>" } else { "" };
        format!("{head}<html><body>{}</body></html>", parts.concat())
    })
}

fn base_url() -> impl Strategy<Value = Url> {
    let scheme = select(&["http", "https", "HTTP"][..]);
    let host = select(
        &[
            "example.com",
            "EXAMPLE.com.",
            "127.0.0.1",
            "[::1]",
            "[2001:db8::1]",
            "xn--nxasmq6b.com",
            "b\u{fc}cher.de",
            "a.b-c.d",
        ][..],
    );
    let port = select(&["", ":80", ":443", ":8080"][..]);
    let path = select(
        &[
            "/",
            "/dir/page.html",
            "/a/b/",
            "/%7Euser/x",
            "/a%20b/?q=1",
            "",
        ][..],
    );
    (scheme, host, port, path).prop_map(|(s, h, p, path)| {
        Url::parse(&format!("{s}://{h}{p}{path}")).expect("the base URLs are valid")
    })
}

fn encoding() -> impl Strategy<Value = Option<&'static encoding_rs::Encoding>> {
    select(vec![
        None,
        Some(encoding_rs::UTF_8),
        Some(encoding_rs::WINDOWS_1252),
        Some(encoding_rs::SHIFT_JIS),
        Some(encoding_rs::UTF_16LE),
    ])
}

/// The invariants of one extraction.
fn check_links(links: &[Link], keep_fragments: bool) -> Result<(), TestCaseError> {
    let mut seen = std::collections::HashSet::new();
    for link in links {
        let u = &link.url;
        let s = u.as_str();
        prop_assert!(matches!(u.scheme(), "http" | "https"), "scheme of {s}");
        prop_assert!(u.host_str().is_some_and(|h| !h.is_empty()), "host of {s}");
        let again = Url::parse(s);
        prop_assert_eq!(again.as_ref(), Ok(u), "{} does not parse back to itself", s);
        if !keep_fragments {
            prop_assert!(u.fragment().is_none(), "fragment kept in {s}");
        }
        prop_assert!(
            !s.bytes().any(|b| b <= b' ' || b == 0x7f),
            "whitespace or a control character in {s:?}"
        );
        prop_assert!(seen.insert(s.to_owned()), "{s} twice");
    }
    Ok(())
}

/// Encodes one page through a [`WriterSink`] and returns the bytes.
fn encode(page: &PageLinks, format: Format) -> Vec<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut sink = WriterSink::new(Vec::new(), "memory", format, false);
        sink.write_page(page).await.expect("write to a Vec");
        sink.finish(&crawl::Summary::default())
            .await
            .expect("finish");
        sink.into_inner()
    })
}

fn check_formats(page: &PageLinks) -> Result<(), TestCaseError> {
    let want: Vec<(String, String)> = page
        .links
        .iter()
        .map(|l| (page.source().to_string(), l.url.to_string()))
        .collect();

    let tsv = String::from_utf8(encode(page, Format::Tsv)).expect("TSV is UTF-8");
    let mut got = Vec::new();
    for line in tsv.lines() {
        prop_assert_eq!(line.matches('\t').count(), 1, "{:?}", line);
        let (a, b) = line.split_once('\t').expect("one tab");
        prop_assert!(Url::parse(a).is_ok() && Url::parse(b).is_ok(), "{:?}", line);
        got.push((a.to_owned(), b.to_owned()));
    }
    prop_assert!(tsv.is_empty() || tsv.ends_with('\n'));
    prop_assert_eq!(&got, &want, "TSV");

    let csv_bytes = encode(page, Format::Csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&csv_bytes[..]);
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV record");
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect();
    prop_assert_eq!(&rows, &want, "CSV");

    let jsonl = String::from_utf8(encode(page, Format::Jsonl)).expect("JSONL is UTF-8");
    let rows: Vec<(String, String)> = jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON object a line");
            (
                v["source"].as_str().expect("source").to_owned(),
                v["target"].as_str().expect("target").to_owned(),
            )
        })
        .collect();
    prop_assert_eq!(&rows, &want, "JSONL");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_target_is_a_clean_absolute_http_url(
        base in base_url(),
        html in document(),
        encoding in encoding(),
        keep_fragments in prop::bool::ANY,
    ) {
        let opts = ExtractOptions { keep_fragments, encoding };
        let links = extract_links(&base, &html, opts);
        check_links(&links, keep_fragments)?;
    }

    #[test]
    fn every_format_gives_back_the_pairs(
        base in base_url(),
        html in document(),
        keep_fragments in prop::bool::ANY,
    ) {
        let opts = ExtractOptions { keep_fragments, encoding: None };
        let links = extract_links(&base, &html, opts);
        let page = PageLinks::fetched(base.clone(), base, links);
        check_formats(&page)?;
    }

    /// The bounded parse's lean tree finds the same links, in the same order, as
    /// scraper's full tree, whatever the soup.
    #[test]
    fn the_lean_tree_finds_what_scraper_finds(base in base_url(), html in soup()) {
        let opts = ExtractOptions::default();
        let lean = extract_links(&base, &html, opts);
        let full = links_in_document(&base, &scraper::Html::parse_document(&html), opts);
        prop_assert_eq!(lean, full, "{}", html);
    }

    /// Arbitrary markup-ish text: the lean tree never panics and agrees with scraper.
    #[test]
    fn the_lean_tree_agrees_on_arbitrary_markup(
        base in base_url(),
        html in "[<>/=\"' abeiprtdlsvgmhxf!-]{0,200}",
    ) {
        let opts = ExtractOptions::default();
        let lean = extract_links(&base, &html, opts);
        let full = links_in_document(&base, &scraper::Html::parse_document(&html), opts);
        prop_assert_eq!(lean, full, "{}", html);
    }

    /// Every kind's targets are clean absolute http(s) URLs that round-trip, each
    /// once per kind; the lean tree and scraper's agree on them.
    #[test]
    fn every_kinds_targets_are_clean_and_once_per_kind(
        base in base_url(),
        html in any_kind_document(),
        encoding in encoding(),
        keep_fragments in prop::bool::ANY,
    ) {
        let opts = ExtractOptions { keep_fragments, encoding };
        let filter = LinkFilter { kinds: LinkKinds::ALL, select: None };
        let links = try_extract(&base, &html, opts, &filter, || None).links;
        let mut seen = std::collections::HashSet::new();
        for link in &links {
            check_links(std::slice::from_ref(link), keep_fragments)?;
            let kind = if matches!(link.tag.as_str(), "a" | "area") { "a" } else { link.tag.as_str() };
            prop_assert!(seen.insert((link.url.to_string(), kind)), "{} twice as {}", link.url, kind);
        }
        let full = links_in_document_filtered(&base, &scraper::Html::parse_document(&html), opts, &filter);
        prop_assert_eq!(&links, &full, "{}", html);
        // The default path gives the hyperlinks of before.
        let hyperlinks = extract_links(&base, &html, opts);
        let default = try_extract(&base, &html, opts, &LinkFilter::default(), || None).links;
        prop_assert_eq!(hyperlinks, default);
        let page = PageLinks::fetched(base.clone(), base, links);
        check_formats(&page)?;
    }

    /// A single href, resolved against each base: the same invariants, with far more
    /// href shapes per second than whole documents give.
    #[test]
    fn one_href_resolves_to_a_clean_url_or_nothing(base in base_url(), h in href()) {
        let html = format!("<a href=\"{}\">x</a>", h.replace('&', "&amp;").replace('"', "&quot;"));
        let links = extract_links(&base, &html, ExtractOptions::default());
        prop_assert!(links.len() <= 1);
        check_links(&links, false)?;
    }
}
