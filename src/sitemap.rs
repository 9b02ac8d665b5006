//! Sitemaps (sitemaps.org): `<urlset>` and `<sitemapindex>` XML, plain-text lists, and
//! either of them gzipped, read into page URLs and further sitemap URLs.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

/// What one sitemap lists.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs (`<urlset><url><loc>`, or the lines of a text sitemap).
    pub pages: Vec<String>,
    /// Further sitemaps (`<sitemapindex><sitemap><loc>`).
    pub sitemaps: Vec<String>,
}

/// Reads a sitemap body: gunzips it when it starts with the gzip magic (never past
/// `cap` bytes), then parses XML, or one URL a line when it is not XML. Malformed XML
/// yields what was read before the error.
pub fn parse(body: &[u8], cap: u64) -> Sitemap {
    let gunzipped;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let decoder = flate2::read::MultiGzDecoder::new(body);
        // A failure or the cap cuts the document; what came before still counts.
        let _ = decoder.take(cap).read_to_end(&mut out);
        gunzipped = out;
        &gunzipped[..]
    } else {
        body
    };
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.starts_with('<') {
        parse_xml(trimmed)
    } else {
        Sitemap {
            pages: trimmed
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            sitemaps: Vec::new(),
        }
    }
}

fn parse_xml(text: &str) -> Sitemap {
    let mut reader = Reader::from_str(text);
    let mut out = Sitemap::default();
    // The element a <loc> belongs to: <url> or <sitemap>.
    let mut parent: Option<bool> = None;
    let mut in_loc = false;
    let mut loc = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "url" => parent = Some(false),
                "sitemap" => parent = Some(true),
                "loc" if parent.is_some() => {
                    in_loc = true;
                    loc.clear();
                }
                _ => {}
            },
            Ok(Event::Text(t)) if in_loc => loc.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) if in_loc => loc.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_loc => {
                loc.push('&');
                loc.push_str(&r.xml10_content());
                loc.push(';');
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "loc" if in_loc => {
                    in_loc = false;
                    let value = quick_xml::escape::unescape(&loc)
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default();
                    if !value.is_empty() {
                        match parent {
                            Some(true) => out.sitemaps.push(value),
                            Some(false) => out.pages.push(value),
                            None => {}
                        }
                    }
                }
                "url" | "sitemap" => parent = None,
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn urlset() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> http://a.test/1 </loc><lastmod>2024-01-01</lastmod></url>
  <url><loc>http://a.test/2?x=1&amp;y=2</loc></url>
  <url><loc><![CDATA[http://a.test/3]]></loc></url>
</urlset>"#;
        let s = parse(xml, 1 << 20);
        assert_eq!(
            s.pages,
            [
                "http://a.test/1",
                "http://a.test/2?x=1&y=2",
                "http://a.test/3"
            ]
        );
        assert!(s.sitemaps.is_empty());
    }

    #[test]
    fn sitemapindex_gzipped() {
        let xml = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://a.test/s1.xml.gz</loc></sitemap></sitemapindex>"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(xml).expect("gzip in memory");
        let body = gz.finish().expect("gzip in memory");
        let s = parse(&body, 1 << 20);
        assert_eq!(s.sitemaps, ["http://a.test/s1.xml.gz"]);
        assert!(s.pages.is_empty());
    }

    #[test]
    fn text_sitemap_and_garbage() {
        let s = parse(b"http://a.test/1\r\n\r\nhttp://a.test/2\n", 1 << 20);
        assert_eq!(s.pages, ["http://a.test/1", "http://a.test/2"]);
        let s = parse(
            b"<urlset><url><loc>http://a.test/1</loc></url><url><loc>http://a",
            1 << 20,
        );
        assert_eq!(s.pages, ["http://a.test/1"]);
        assert_eq!(parse(b"", 10), Sitemap::default());
    }

    #[test]
    fn gzip_bomb_is_capped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            gz.write_all(&[b'x'; 1 << 20]).expect("gzip in memory");
        }
        let body = gz.finish().expect("gzip in memory");
        let s = parse(&body, 1000);
        assert_eq!(s.pages.len(), 1);
        assert_eq!(s.pages[0].len(), 1000);
    }
}
