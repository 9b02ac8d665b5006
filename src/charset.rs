//! Character encoding detection and decoding of response bodies.
//!
//! A page arrives as bytes; [`decode`] turns it into the text the HTML parser reads,
//! choosing the encoding the way the HTML standard's encoding sniffing algorithm
//! does (without the locale-dependent guessing a browser may add):
//!
//! 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
//! 2. the `charset` parameter of the `Content-Type` header;
//! 3. the "prescan" of the first 1024 bytes for `<meta charset>` or
//!    `<meta http-equiv="content-type" content="...; charset=...">` (and, failing
//!    that, an `<?xml ... encoding="...">` declaration);
//! 4. else UTF-8.
//!
//! Labels are read per the WHATWG Encoding standard through
//! [`Encoding::for_label`], so `latin1`, `iso-8859-1` and `ascii` mean windows-1252,
//! `utf8` means UTF-8, and an unknown label is ignored (the next step decides).
//!
//! ```
//! use crawl::charset;
//!
//! let body = b"<meta charset=iso-8859-1><p>\x80 5</p>";
//! assert_eq!(charset::sniff(body, None), encoding_rs::WINDOWS_1252);
//! assert!(charset::decode(body, Some("text/html")).contains("\u{20ac} 5"));
//! ```

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How many bytes the prescan looks at: the HTML standard's suggested end condition.
const PRESCAN_LIMIT: usize = 1024;

/// The encoding a response body should be decoded with: BOM first, then the
/// Content-Type charset, then a `<meta charset>` / `http-equiv` prescan of the first
/// 1024 bytes, else UTF-8.
///
/// `content_type` is the `Content-Type` header value, if the response had one.
pub fn sniff(body: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((encoding, _bom_length)) = Encoding::for_bom(body) {
        return encoding;
    }
    if let Some(encoding) = content_type.and_then(transport_encoding) {
        return encoding;
    }
    let head = &body[..body.len().min(PRESCAN_LIMIT)];
    prescan(head)
        .or_else(|| xml_encoding(head))
        .unwrap_or(UTF_8)
}

/// Decode the body with the sniffed encoding (BOM removed; malformed sequences
/// become U+FFFD). Borrow when the body is valid UTF-8 (no copy).
///
/// This is the Encoding standard's "decode": a BOM, when there is one, wins over
/// the sniffed encoding.
pub fn decode<'a>(body: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let (text, _encoding, _had_errors) = sniff(body, content_type).decode(body);
    text
}

/// The `charset` parameter of a Content-Type header value, if any (handles quotes,
/// case, whitespace, other params).
///
/// The value is parsed as the WHATWG MIME Sniffing standard parses a MIME type: the
/// type and subtype must be HTTP tokens or there are no parameters at all, parameter
/// names are case-insensitive, the first valid `charset` wins, and a quoted value is
/// returned without its quotes. In the rare quoted value with backslash escapes the
/// escapes are left in the returned slice ([`sniff`] removes them).
pub fn content_type_charset(content_type: &str) -> Option<&str> {
    charset_param(content_type).map(|param| param.raw)
}

/// A `charset` parameter value as it appears in the header.
struct CharsetParam<'a> {
    /// The value, without quotes but with any backslash escapes.
    raw: &'a str,
    /// Whether `raw` came from a quoted string that had backslash escapes.
    escaped: bool,
}

/// The encoding the transport layer names, if its label is known.
fn transport_encoding(content_type: &str) -> Option<&'static Encoding> {
    let param = charset_param(content_type)?;
    if param.escaped {
        Encoding::for_label(unescape(param.raw).as_bytes())
    } else {
        Encoding::for_label(param.raw.as_bytes())
    }
}

/// HTTP whitespace: tab, line feed, carriage return and space.
fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

/// HTTP token code points (RFC 9110 `tchar`).
fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// HTTP quoted-string token code points.
fn is_quoted_string_token(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{80}'..='\u{ff}')
}

/// Finds the `charset` parameter by the MIME Sniffing standard's "parse a MIME type".
fn charset_param(content_type: &str) -> Option<CharsetParam<'_>> {
    let input = content_type.trim_matches(is_http_whitespace);
    let (kind, rest) = input.split_once('/')?;
    if kind.is_empty() || !kind.chars().all(is_token) {
        return None;
    }
    let subtype_end = rest.find(';').unwrap_or(rest.len());
    let subtype = rest[..subtype_end].trim_end_matches(is_http_whitespace);
    if subtype.is_empty() || !subtype.chars().all(is_token) {
        return None;
    }
    // Each turn starts at a `;` (or at the end).
    let mut rest = &rest[subtype_end..];
    while let Some(after_semicolon) = rest.strip_prefix(';') {
        let params = after_semicolon.trim_start_matches(is_http_whitespace);
        let name_end = params.find([';', '=']).unwrap_or(params.len());
        let name = &params[..name_end];
        rest = &params[name_end..];
        let Some(value_start) = rest.strip_prefix('=') else {
            // No `=`: a `;` starts the next parameter, the end ends them all.
            continue;
        };
        if value_start.is_empty() {
            break;
        }
        let (value, escaped) = if value_start.starts_with('"') {
            let (value, escaped, after) = quoted_string(value_start);
            rest = &after[after.find(';').unwrap_or(after.len())..];
            (value, escaped)
        } else {
            let value_end = value_start.find(';').unwrap_or(value_start.len());
            rest = &value_start[value_end..];
            let value = value_start[..value_end].trim_end_matches(is_http_whitespace);
            if value.is_empty() {
                continue;
            }
            (value, false)
        };
        // `charset` is a token, so comparing the name checks it is one too.
        if name.eq_ignore_ascii_case("charset") && value.chars().all(is_quoted_string_token) {
            return Some(CharsetParam {
                raw: value,
                escaped,
            });
        }
    }
    None
}

/// Collects an HTTP quoted string at the start of `input` (which starts with `"`):
/// returns the raw contents, whether they hold backslash escapes, and what follows
/// the closing quote (empty if the string was not closed).
fn quoted_string(input: &str) -> (&str, bool, &str) {
    let body = &input[1..];
    let mut escaped = false;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (&body[..i], escaped, &body[i + 1..]),
            '\\' => {
                escaped = true;
                // The escaped character, whatever it is, is part of the value.
                chars.next();
            }
            _ => {}
        }
    }
    (body, escaped, "")
}

/// Removes the backslash escapes of a quoted string's contents; a lone trailing
/// backslash stands for itself.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else {
            out.push(c);
        }
    }
    out
}

/// ASCII whitespace as the prescan reads it: tab, line feed, form feed, carriage
/// return and space.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The HTML standard's "prescan a byte stream to determine its encoding" over
/// `input` (already cut to the end condition). `None` is the algorithm's null,
/// including when it runs out of bytes.
fn prescan(input: &[u8]) -> Option<&'static Encoding> {
    // A UTF-16 `<?x` means the page is UTF-16 whatever it declares.
    match input {
        [b'<', 0, b'?', 0, b'x', 0, ..] => return Some(UTF_16LE),
        [0, b'<', 0, b'?', 0, b'x', ..] => return Some(UTF_16BE),
        _ => {}
    }
    let mut pos = 0;
    while let Some(rest) = input.get(pos..).filter(|rest| !rest.is_empty()) {
        if rest.starts_with(b"<!--") {
            // To the `>` of the first `-->`, whose dashes may be those of `<!--`.
            pos += 2 + find(&rest[2..], b"-->")? + 2;
        } else if starts_meta(rest) {
            pos += 5;
            if let Some(encoding) = meta(input, &mut pos)? {
                return Some(encoding);
            }
        } else if starts_tag(rest) {
            pos += rest.iter().position(|&b| is_space(b) || b == b'>')?;
            while get_attribute(input, &mut pos)?.is_some() {}
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            pos += rest.iter().position(|&b| b == b'>')?;
        }
        pos += 1;
    }
    None
}

/// `<meta` in any case, then a space or `/`.
fn starts_meta(rest: &[u8]) -> bool {
    match rest.get(..6) {
        Some([open @ .., b]) => open.eq_ignore_ascii_case(b"<meta") && (is_space(*b) || *b == b'/'),
        _ => false,
    }
}

/// `<` then an optional `/` then an ASCII letter.
fn starts_tag(rest: &[u8]) -> bool {
    match rest {
        [b'<', b'/', c, ..] | [b'<', c, ..] => c.is_ascii_alphabetic(),
        _ => false,
    }
}

/// The first index of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The prescan's steps for one `<meta` tag, `pos` at the byte after `<meta`.
///
/// The outer `None` means the input ran out (the prescan aborts); the inner one
/// that this `<meta>` names no usable encoding.
fn meta(input: &[u8], pos: &mut usize) -> Option<Option<&'static Encoding>> {
    let (mut seen_http_equiv, mut seen_content, mut seen_charset) = (false, false, false);
    let mut got_pragma = false;
    let mut need_pragma: Option<bool> = None;
    // `None` is the spec's null; `Some(None)` is failure (an unknown label).
    let mut charset: Option<Option<&'static Encoding>> = None;
    while let Some((name, value)) = get_attribute(input, pos)? {
        // Only the first attribute of each name counts.
        if name.eq_ignore_ascii_case(b"http-equiv") {
            if !std::mem::replace(&mut seen_http_equiv, true)
                && value.eq_ignore_ascii_case(b"content-type")
            {
                got_pragma = true;
            }
        } else if name.eq_ignore_ascii_case(b"content") {
            if !std::mem::replace(&mut seen_content, true)
                && charset.is_none()
                && let Some(encoding) = encoding_from_content(value)
            {
                charset = Some(Some(encoding));
                need_pragma = Some(true);
            }
        } else if name.eq_ignore_ascii_case(b"charset")
            && !std::mem::replace(&mut seen_charset, true)
        {
            charset = Some(Encoding::for_label(value));
            need_pragma = Some(false);
        }
    }
    let Some(need_pragma) = need_pragma else {
        return Some(None);
    };
    if need_pragma && !got_pragma {
        return Some(None);
    }
    let Some(Some(encoding)) = charset else {
        return Some(None);
    };
    Some(Some(if encoding == UTF_16BE || encoding == UTF_16LE {
        // The bytes were readable as ASCII, so they are not UTF-16.
        UTF_8
    } else if encoding == X_USER_DEFINED {
        WINDOWS_1252
    } else {
        encoding
    }))
}

/// An attribute's name and value as the prescan sees them.
type Attribute<'a> = (&'a [u8], &'a [u8]);

/// The prescan's "get an attribute": the next attribute's name and value, as raw
/// byte slices (the algorithm lowercases them; callers compare case-insensitively).
///
/// The outer `None` means the input ran out; the inner one that there is no further
/// attribute (`pos` is left at the `>`).
fn get_attribute<'a>(input: &'a [u8], pos: &mut usize) -> Option<Option<Attribute<'a>>> {
    while is_space(*input.get(*pos)?) || input[*pos] == b'/' {
        *pos += 1;
    }
    if input[*pos] == b'>' {
        return Some(None);
    }
    let name_start = *pos;
    let name = loop {
        match *input.get(*pos)? {
            b'=' if *pos > name_start => {
                let name = &input[name_start..*pos];
                *pos += 1;
                return Some(Some((name, attribute_value(input, pos)?)));
            }
            b if is_space(b) => break &input[name_start..*pos],
            b'/' | b'>' => return Some(Some((&input[name_start..*pos], &[]))),
            _ => *pos += 1,
        }
    };
    // Spaces after the name, then maybe `=`.
    while is_space(*input.get(*pos)?) {
        *pos += 1;
    }
    if input[*pos] != b'=' {
        return Some(Some((name, &[])));
    }
    *pos += 1;
    Some(Some((name, attribute_value(input, pos)?)))
}

/// The value half of "get an attribute", `pos` just after the `=`.
fn attribute_value<'a>(input: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    while is_space(*input.get(*pos)?) {
        *pos += 1;
    }
    let first = input[*pos];
    if first == b'"' || first == b'\'' {
        let start = *pos + 1;
        let len = input.get(start..)?.iter().position(|&b| b == first)?;
        *pos = start + len + 1;
        return Some(&input[start..start + len]);
    }
    if first == b'>' {
        return Some(&[]);
    }
    let start = *pos;
    *pos += 1;
    while !(is_space(*input.get(*pos)?) || input[*pos] == b'>') {
        *pos += 1;
    }
    Some(&input[start..*pos])
}

/// The HTML standard's "algorithm for extracting a character encoding from a meta
/// element", on a `content` attribute value. `None` covers both "nothing" and an
/// unknown label.
fn encoding_from_content(s: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    loop {
        let found = s
            .get(pos..)?
            .windows(7)
            .position(|w| w.eq_ignore_ascii_case(b"charset"))?;
        pos += found + 7;
        while s.get(pos).copied().is_some_and(is_space) {
            pos += 1;
        }
        if s.get(pos) == Some(&b'=') {
            pos += 1;
            break;
        }
    }
    while s.get(pos).copied().is_some_and(is_space) {
        pos += 1;
    }
    let first = *s.get(pos)?;
    let rest = &s[pos..];
    let label = if first == b'"' || first == b'\'' {
        let inner = &rest[1..];
        &inner[..inner.iter().position(|&b| b == first)?]
    } else {
        &rest[..rest
            .iter()
            .position(|&b| is_space(b) || b == b';')
            .unwrap_or(rest.len())]
    };
    Encoding::for_label(label)
}

/// The HTML standard's "get an XML encoding" for an `<?xml ... encoding="...">`
/// declaration at the very start of `input`.
fn xml_encoding(input: &[u8]) -> Option<&'static Encoding> {
    if !input.starts_with(b"<?xml") {
        return None;
    }
    let declaration = &input[..input.iter().position(|&b| b == b'>')?];
    let mut pos = find(declaration, b"encoding")? + b"encoding".len();
    while *declaration.get(pos)? <= b' ' {
        pos += 1;
    }
    if declaration[pos] != b'=' {
        return None;
    }
    pos += 1;
    while *declaration.get(pos)? <= b' ' {
        pos += 1;
    }
    let quote = declaration[pos];
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &declaration[pos + 1..];
    let label = &value[..value.iter().position(|&b| b == quote)?];
    if label.iter().any(|&b| b <= b' ') {
        return None;
    }
    let encoding = Encoding::for_label(label)?;
    Some(if encoding == UTF_16BE || encoding == UTF_16LE {
        UTF_8
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{EUC_KR, GBK, ISO_8859_2, REPLACEMENT, SHIFT_JIS, WINDOWS_1251};

    fn sniffed(body: &[u8]) -> &'static str {
        sniff(body, None).name()
    }

    #[test]
    fn bom_beats_header_and_meta() {
        let meta = b"<meta charset=\"windows-1251\">";
        let header = Some("text/html; charset=shift_jis");

        let mut utf8 = b"\xEF\xBB\xBF".to_vec();
        utf8.extend_from_slice(meta);
        utf8.extend_from_slice("é".as_bytes());
        assert_eq!(sniff(&utf8, header), UTF_8);
        let text = decode(&utf8, header);
        assert!(text.starts_with("<meta"), "BOM removed: {text:?}");
        assert!(text.ends_with('é'));
        assert!(
            matches!(text, Cow::Borrowed(_)),
            "UTF-8 after a BOM borrows"
        );

        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend("<p>é€".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniff(&utf16le, header), UTF_16LE);
        assert_eq!(decode(&utf16le, header), "<p>é€");

        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend("<p>é€".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(sniff(&utf16be, header), UTF_16BE);
        assert_eq!(decode(&utf16be, header), "<p>é€");
    }

    #[test]
    fn header_charset_beats_meta() {
        let body = b"<meta charset=utf-8><p>\xC0\xEB\xE0</p>";
        let header = Some("text/html; charset=windows-1251");
        assert_eq!(sniff(body, header), WINDOWS_1251);
        assert_eq!(decode(body, header), "<meta charset=utf-8><p>Ала</p>");
    }

    #[test]
    fn header_utf16_is_honoured() {
        let body: Vec<u8> = "<p>hi".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(sniff(&body, Some("text/html; charset=utf-16")), UTF_16LE);
        assert_eq!(decode(&body, Some("text/html; charset=UTF-16")), "<p>hi");
        assert_eq!(sniff(b"", Some("text/html;charset=utf-16be")), UTF_16BE);
    }

    #[test]
    fn content_type_charset_parsing() {
        let cases: &[(&str, Option<&str>)] = &[
            ("text/html; charset=utf-8", Some("utf-8")),
            ("text/html;charset=UTF-8", Some("UTF-8")),
            ("TEXT/HTML; CHARSET=Shift_JIS", Some("Shift_JIS")),
            (
                "  text/html ;  charset=\"iso-8859-1\"  ",
                Some("iso-8859-1"),
            ),
            ("text/html; charset=\"utf-8\" ; q=1", Some("utf-8")),
            ("text/html; charset=\"utf;8\"", Some("utf;8")),
            ("text/html; charset=\"utf-8", Some("utf-8")),
            ("text/html; charset=\"utf-8\"junk", Some("utf-8")),
            ("text/html; charset=utf-8  ; other=x", Some("utf-8")),
            ("text/html; format=flowed; charset=koi8-r", Some("koi8-r")),
            ("text/html; foo; charset=gbk", Some("gbk")),
            ("text/html; charset=gbk; charset=big5", Some("gbk")),
            ("text/html; charset=; charset=big5", Some("big5")),
            ("text/html; charset=\"\"; charset=big5", Some("")),
            ("text/html; charset =utf-8", None),
            ("text/html; charset", None),
            ("text/html; charset=", None),
            ("text/html", None),
            ("text/html;", None),
            ("charset=utf-8", None),
            ("text/; charset=utf-8", None),
            ("/html; charset=utf-8", None),
            ("te xt/html; charset=utf-8", None),
            ("text/html; charset=é", Some("é")),
            ("text/html; charset=€", None),
            ("", None),
        ];
        for &(header, expected) in cases {
            assert_eq!(content_type_charset(header), expected, "{header:?}");
        }
        // Escapes are kept in the slice but removed when sniffing.
        let escaped = "text/html; charset=\"utf\\-8\"";
        assert_eq!(content_type_charset(escaped), Some("utf\\-8"));
        assert_eq!(sniff(b"", Some(escaped)), UTF_8);
        assert_eq!(
            sniff(b"", Some("text/html; charset=\"win\\dows-1251\\")),
            UTF_8
        );
        assert_eq!(unescape("a\\\\b\\"), "a\\b\\");
    }

    #[test]
    fn labels_follow_the_encoding_standard() {
        let latin = b"<p>\x80\xE9</p>";
        for label in [
            "iso-8859-1",
            "latin1",
            "ASCII",
            "us-ascii",
            " Windows-1252 ",
        ] {
            let header = format!("text/html; charset={label}");
            assert_eq!(sniff(latin, Some(&header)), WINDOWS_1252, "{label}");
            assert_eq!(decode(latin, Some(&header)), "<p>€é</p>", "{label}");
        }
        assert_eq!(sniff(b"", Some("text/html; charset=utf8")), UTF_8);
        assert_eq!(sniff(b"", Some("text/html; charset=latin2")), ISO_8859_2);
        assert_eq!(sniff(b"", Some("text/html; charset=gb2312")), GBK);
    }

    #[test]
    fn unknown_labels_fall_through() {
        let body = b"<meta charset=shift_jis>";
        assert_eq!(
            sniff(body, Some("text/html; charset=no-such-thing")),
            SHIFT_JIS
        );
        assert_eq!(
            sniffed(b"<meta charset=klingon><meta charset=euc-kr>"),
            "EUC-KR"
        );
        assert_eq!(sniffed(b"<meta charset=klingon>"), "UTF-8");
        assert_eq!(sniff(b"<p>", Some("text/html; charset=bogus")), UTF_8);
    }

    #[test]
    fn no_information_means_utf8() {
        assert_eq!(sniff(b"", None), UTF_8);
        assert_eq!(sniff(b"<html><p>plain", Some("text/html")), UTF_8);
        assert_eq!(sniff("<p>caf\u{e9}".as_bytes(), None), UTF_8);
    }

    #[test]
    fn meta_charset() {
        assert_eq!(sniffed(b"<meta charset=\"iso-8859-2\">"), "ISO-8859-2");
        assert_eq!(sniffed(b"<meta charset='windows-1251'>"), "windows-1251");
        assert_eq!(sniffed(b"<META CHARSET=SHIFT_JIS>"), "Shift_JIS");
        assert_eq!(sniffed(b"<meta/charset=euc-kr>"), "EUC-KR");
        // An unquoted value runs to a space or `>`: the `/` is part of it.
        assert_eq!(sniffed(b"<meta charset=euc-kr/>"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset='euc-kr'/>"), "EUC-KR");
        assert_eq!(sniffed(b"<meta  charset = \"gbk\" >"), "GBK");
        assert_eq!(
            sniffed(b"<!DOCTYPE html><html lang=\"x>y\"><head><meta charset=koi8-r>"),
            "KOI8-R"
        );
        // The first charset attribute counts, even when its label is unknown.
        assert_eq!(sniffed(b"<meta charset=bogus charset=gbk>"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=big5 charset=gbk>"), "Big5");
        // Other tags' attributes are skipped whole, quotes and all.
        assert_eq!(
            sniffed(b"<div title='<meta charset=gbk>'><meta charset=big5>"),
            "Big5"
        );
        // `<metal` is not `<meta`.
        assert_eq!(sniffed(b"<metal charset=gbk>"), "UTF-8");
    }

    #[test]
    fn meta_http_equiv_content_type() {
        assert_eq!(
            sniffed(
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-2\">"
            ),
            "ISO-8859-2"
        );
        assert_eq!(
            sniffed(b"<META HTTP-EQUIV=CONTENT-TYPE CONTENT='TEXT/HTML;CHARSET=SHIFT_JIS'>"),
            "Shift_JIS"
        );
        assert_eq!(
            sniffed(b"<meta content=\"text/html;  charset = 'euc-kr' \"   http-equiv = \"content-type\">"),
            "EUC-KR"
        );
        assert_eq!(
            sniffed(b"<meta\thttp-equiv=content-type\ncontent=\"charset=\\\"gbk\\\"\">"),
            "UTF-8",
            "an unmatched quote in content gives nothing"
        );
        assert_eq!(
            sniffed(
                b"<meta http-equiv=content-type content=\"foo charsetx charset=windows-1251;x\">"
            ),
            "windows-1251"
        );
        // Without the pragma, content is not enough.
        assert_eq!(
            sniffed(
                b"<meta content=\"text/html; charset=gbk\"><meta name=x content=\"charset=gbk\">"
            ),
            "UTF-8"
        );
        assert_eq!(
            sniffed(b"<meta http-equiv=refresh content=\"text/html; charset=gbk\">"),
            "UTF-8"
        );
        // A charset attribute beats content, in either order.
        assert_eq!(
            sniffed(b"<meta http-equiv=content-type content=\"charset=gbk\" charset=big5>"),
            "Big5"
        );
        assert_eq!(
            sniffed(b"<meta charset=big5 http-equiv=content-type content=\"charset=gbk\">"),
            "Big5"
        );
    }

    #[test]
    fn meta_utf16_and_x_user_defined_are_replaced() {
        assert_eq!(sniffed(b"<meta charset=utf-16le>"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=UTF-16BE>"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=utf-16>"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=x-user-defined>"), "windows-1252");
    }

    #[test]
    fn meta_inside_comments_and_other_markup_is_ignored() {
        assert_eq!(
            sniffed(b"<!-- <meta charset=gbk> --><meta charset=big5>"),
            "Big5"
        );
        assert_eq!(
            sniffed(b"<!--><meta charset=gbk>"),
            "GBK",
            "<!--> closes itself"
        );
        assert_eq!(
            sniffed(b"<!---><meta charset=gbk>"),
            "GBK",
            "<!---> closes itself too"
        );
        assert_eq!(sniffed(b"<!-- -- ><meta charset=gbk> --><p>"), "UTF-8");
        assert_eq!(
            sniffed(b"<!-- <meta charset=gbk>"),
            "UTF-8",
            "unclosed comment"
        );
        assert_eq!(sniffed(b"<!DOCTYPE <meta charset=gbk>"), "UTF-8");
        assert_eq!(sniffed(b"<? <meta charset=gbk> ?>x"), "UTF-8");
        assert_eq!(sniffed(b"</x <meta charset=gbk>"), "UTF-8");
        assert_eq!(sniffed(b"</ <meta charset=gbk>"), "UTF-8");
        assert_eq!(
            sniffed(b"<script>\"<meta charset=gbk>\"</script>"),
            "GBK",
            "the prescan does not know script"
        );
    }

    #[test]
    fn prescan_reads_only_the_first_1024_bytes() {
        let mut body = vec![b' '; 1010];
        body.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(sniffed(&body), "UTF-8", "meta straddles byte 1024");
        let mut body = vec![b' '; 1024];
        body.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(sniffed(&body), "UTF-8");
        let mut body = vec![b' '; 1024 - b"<meta charset=gbk>".len()];
        body.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(body.len(), 1024);
        assert_eq!(sniffed(&body), "GBK", "meta ending at byte 1024");
    }

    #[test]
    fn prescan_needs_the_whole_tag() {
        assert_eq!(sniffed(b"<meta charset=gbk"), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=\"gbk\""), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=gbk "), "UTF-8");
        assert_eq!(sniffed(b"<meta charset=\"gbk"), "UTF-8");
    }

    #[test]
    fn xml_declarations() {
        assert_eq!(
            sniffed(b"<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?><p>"),
            "ISO-8859-2"
        );
        assert_eq!(sniffed(b"<?xml version='1.0' encoding = 'gbk'?>"), "GBK");
        assert_eq!(
            sniffed(b"<?xml version=\"1.0\" encoding=\"utf-16\"?>"),
            "UTF-8"
        );
        assert_eq!(
            sniffed(b"<?xml version=\"1.0\"?> encoding=\"gbk\""),
            "UTF-8"
        );
        assert_eq!(
            sniffed(b" <?xml version=\"1.0\" encoding=\"gbk\"?>"),
            "UTF-8"
        );
        // A meta element wins over the declaration.
        assert_eq!(
            sniffed(b"<?xml version=\"1.0\" encoding=\"gbk\"?><meta charset=big5>"),
            "Big5"
        );
        let utf16le: Vec<u8> = "<?xml version=\"1.0\"?>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(sniffed(&utf16le), "UTF-16LE");
        let utf16be: Vec<u8> = "<?xml version=\"1.0\"?>"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(sniffed(&utf16be), "UTF-16BE");
    }

    #[test]
    fn iso_8859_1_decodes_as_windows_1252() {
        let body = b"<meta charset=iso-8859-1><p>\x80</p>";
        assert_eq!(decode(body, None), "<meta charset=iso-8859-1><p>€</p>");
    }

    #[test]
    fn shift_jis_and_euc_kr_bodies_decode() {
        let body = b"<meta http-equiv=Content-Type content=\"text/html; charset=Shift_JIS\"><p>\x93\xfa\x96\x7b\x8c\xea</p>";
        assert_eq!(sniff(body, None), SHIFT_JIS);
        assert!(decode(body, None).ends_with("<p>日本語</p>"));
        let body = b"<p>\xc7\xd1\xb1\xb9\xbe\xee</p>";
        assert_eq!(sniff(body, Some("text/html; charset=euc-kr")), EUC_KR);
        assert_eq!(
            decode(body, Some("text/html; charset=euc-kr")),
            "<p>한국어</p>"
        );
    }

    #[test]
    fn replacement_labels_are_honoured() {
        // ISO-2022-KR and friends map to the replacement encoding (a security rule).
        assert_eq!(
            sniff(b"<p>x", Some("text/html; charset=iso-2022-kr")),
            REPLACEMENT
        );
        assert_eq!(
            decode(b"<p>x", Some("text/html; charset=iso-2022-kr")),
            "\u{FFFD}"
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let text = decode(b"<p>a\xFFb\xC3</p>", None);
        assert!(matches!(text, Cow::Owned(_)));
        assert_eq!(text, "<p>a\u{FFFD}b\u{FFFD}</p>");
    }

    #[test]
    fn decode_borrows_plain_utf8() {
        let body = "<p>café — ok</p>".as_bytes();
        let text = decode(body, Some("text/html; charset=utf-8"));
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(text, "<p>café — ok</p>");
        assert!(matches!(decode(body, None), Cow::Borrowed(_)));
    }

    #[test]
    fn never_panics_on_truncated_or_odd_input() {
        let samples: &[&[u8]] = &[
            b"<meta charset=\"utf-8\" http-equiv=content-type content=\"charset=gbk\">",
            b"<meta http-equiv='content-type' content='text/html; charset=\"big5\"'>",
            b"<?xml version=\"1.0\" encoding=\"gbk\"?>",
            b"<!-- x --><a b=c d='e' f=\"g\" h/><meta/charset=gbk/>",
            b"\xEF\xBB",
            b"\xFF",
            b"\x00<\x00?\x00",
        ];
        for sample in samples {
            for end in 0..=sample.len() {
                let body = &sample[..end];
                let _ = sniff(body, None);
                let _ = decode(body, Some("text/html; charset=\"x"));
            }
        }
        for header in [
            "\"",
            ";",
            "/",
            "a/b;\"",
            "a/b; charset=\"\\",
            "a/b;charset=\"\u{e9}\\\u{e9}",
        ] {
            let _ = content_type_charset(header);
            let _ = sniff(b"", Some(header));
        }
    }
}
