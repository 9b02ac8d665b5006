//! Each way a page declares its encoding, seen through the link it yields.
//!
//! The URL standard percent-encodes a path as UTF-8 whatever the document's encoding,
//! so a non-ASCII path shows whether the bytes were decoded right: a wrong decoder
//! gives U+FFFD (`%EF%BF%BD`) or mojibake. A query, though, is encoded in the
//! document's encoding.

use crate::support::{Reply, Routes, TestServer, config, crawl};

/// Serves `fixtures/charset/<file>` with `content_type` and returns the one link.
async fn link_of(file: &str, content_type: &str) -> String {
    let body = crate::support::fixture(&format!("charset/{file}"));
    let server =
        TestServer::start(Routes::new().route("/page", Reply::typed(Some(content_type), body)));
    let done = crawl(config().build().expect("config"), [server.url("/page")]).await;
    let links = done.links_of(&server.url_str("/page"));
    assert_eq!(links.len(), 1, "{file}: {links:?}");
    links[0].replacen(&server.url_str(""), "", 1)
}

#[tokio::test]
async fn utf16le_bom() {
    assert_eq!(link_of("bom-utf16le.html", "text/html").await, "/%C3%BC");
}

#[tokio::test]
async fn content_type_charset() {
    let link = link_of("header-1252.html", "text/html; charset=windows-1252").await;
    assert_eq!(link, "/caf%C3%A9");
}

#[tokio::test]
async fn meta_charset() {
    assert_eq!(
        link_of("meta-charset.html", "text/html").await,
        "/na%C3%AFve"
    );
}

#[tokio::test]
async fn meta_http_equiv() {
    assert_eq!(
        link_of("http-equiv-koi8r.html", "text/html").await,
        "/%D0%B0"
    );
}

#[tokio::test]
async fn iso_8859_1_label_means_windows_1252() {
    // 0x80 is U+0080 in ISO-8859-1 but the euro sign in windows-1252.
    let link = link_of("latin1-label.html", "text/html; charset=iso-8859-1").await;
    assert_eq!(link, "/price-%E2%82%AC");
}

#[tokio::test]
async fn bom_beats_the_header() {
    let link = link_of("bom-vs-header.html", "text/html; charset=windows-1252").await;
    assert_eq!(link, "/caf%C3%A9");
}

#[tokio::test]
async fn header_beats_meta() {
    let link = link_of("header-vs-meta.html", "text/html; charset=utf-8").await;
    assert_eq!(link, "/caf%C3%A9");
}

#[tokio::test]
async fn query_is_encoded_in_the_document_encoding() {
    let link = link_of("query-1252.html", "text/html; charset=windows-1252").await;
    assert_eq!(link, "/search?q=caf%E9");
}
