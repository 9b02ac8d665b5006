//! The micro-syntaxes that carry URLs inside a value: `srcset`, a refresh
//! (`<meta http-equiv=refresh content>` and the `Refresh:` header), and the `Link:`
//! header. Each returns the URL strings, unresolved, as sub-slices of its input.

/// ASCII whitespace as the HTML standard defines it.
fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ')
}

/// The URLs of a `srcset` attribute's image candidates, by the HTML standard's
/// "parse a srcset attribute": a URL runs to the next whitespace (so it may contain
/// commas; trailing commas end the candidate), descriptors run to the next comma
/// outside parentheses, and a candidate with invalid descriptors is dropped.
pub(crate) fn srcset_urls(input: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = input;
    loop {
        // Splitting loop: skip whitespace and commas.
        rest = rest.trim_start_matches(|c| is_space(c) || c == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest.find(is_space).unwrap_or(rest.len());
        let (url, tail) = rest.split_at(end);
        rest = tail;
        if url.ends_with(',') {
            let url = url.trim_end_matches(',');
            urls.push(url);
            continue;
        }
        // Descriptor tokenizer: up to a comma that is not inside parentheses.
        let mut descriptors: Vec<&str> = Vec::new();
        let mut start: Option<usize> = None;
        let mut in_parens = false;
        let mut consumed = rest.len();
        for (i, c) in rest.char_indices() {
            if in_parens {
                if c == ')' {
                    in_parens = false;
                }
                continue;
            }
            if is_space(c) {
                if let Some(s) = start.take() {
                    descriptors.push(&rest[s..i]);
                }
            } else if c == ',' {
                consumed = i + 1;
                break;
            } else {
                if start.is_none() {
                    start = Some(i);
                }
                if c == '(' {
                    in_parens = true;
                }
            }
        }
        if let Some(s) = start
            && consumed == rest.len()
        {
            descriptors.push(&rest[s..]);
        } else if let Some(s) = start {
            descriptors.push(&rest[s..consumed - 1]);
        }
        rest = &rest[consumed..];
        if descriptors_valid(&descriptors) {
            urls.push(url);
        }
    }
}

/// The standard's checks on a candidate's descriptors: at most one of `w` (a valid
/// non-negative integer over 0) or `x` (a valid floating-point number, not
/// negative), and `h` (an integer over 0) only with `w`.
fn descriptors_valid(descriptors: &[&str]) -> bool {
    let (mut width, mut density, mut height) = (false, false, false);
    for d in descriptors {
        let Some(last) = d.chars().last() else {
            continue;
        };
        let value = &d[..d.len() - last.len_utf8()];
        match last {
            'w' if !width && !density && positive_integer(value) => width = true,
            'x' if !width && !density && !height && non_negative_float(value) => density = true,
            'h' if !height && !density && positive_integer(value) => height = true,
            _ => return false,
        }
    }
    !height || width
}

/// A valid non-negative integer above zero: ASCII digits only.
fn positive_integer(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.bytes().any(|b| b != b'0')
}

/// A valid floating-point number (`-`? digits (`.` digits)? (`e` sign? digits)?, or
/// `.` digits) that is not negative.
fn non_negative_float(s: &str) -> bool {
    let digits = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    let mut rest = s;
    if rest.starts_with('-') {
        return false;
    }
    let int = digits(rest);
    rest = &rest[int..];
    let mut frac = 0;
    if let Some(r) = rest.strip_prefix('.') {
        frac = digits(r);
        if frac == 0 {
            return false;
        }
        rest = &r[frac..];
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if let Some(r) = rest.strip_prefix(['e', 'E']) {
        let r = r.strip_prefix(['-', '+']).unwrap_or(r);
        let exp = digits(r);
        if exp == 0 {
            return false;
        }
        rest = &r[exp..];
    }
    rest.is_empty()
}

/// The URL of a refresh (`<meta http-equiv=refresh content>`, the `Refresh:`
/// header), by the HTML standard's "shared declarative refresh steps": a time, then
/// `;` or `,`, then the URL, optionally after `url=` and in quotes. `None` when the
/// value is not a refresh or names no URL (a refresh of the page itself).
pub(crate) fn refresh_url(input: &str) -> Option<&str> {
    let mut rest = input.trim_start_matches(is_space);
    let int = rest.bytes().take_while(u8::is_ascii_digit).count();
    if int == 0 && !rest.starts_with('.') {
        return None;
    }
    rest = &rest[int..];
    rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !(rest.is_empty() || rest.starts_with([';', ',']) || rest.starts_with(is_space)) {
        return None;
    }
    rest = rest.trim_start_matches(is_space);
    if let Some(r) = rest.strip_prefix([';', ',']) {
        rest = r;
    }
    rest = rest.trim_start_matches(is_space);
    if rest.is_empty() {
        return None;
    }
    let url = 'parse: {
        let bytes = rest.as_bytes();
        let named = bytes.len() >= 3 && bytes[..3].eq_ignore_ascii_case(b"url");
        if !named {
            break 'parse skip_quotes(rest);
        }
        let after = rest[3..].trim_start_matches(is_space);
        match after.strip_prefix('=') {
            Some(value) => skip_quotes(value.trim_start_matches(is_space)),
            None => rest,
        }
    };
    Some(url)
}

/// The refresh URL after "skip quotes": inside the quotes, if it opens with one.
fn skip_quotes(at: &str) -> &str {
    match at.chars().next() {
        Some(q @ ('\'' | '"')) => {
            let inner = &at[1..];
            inner.find(q).map_or(inner, |end| &inner[..end])
        }
        _ => at,
    }
}

/// The target URIs of a `Link:` header's links (RFC 8288 section 3: `<uri>` then
/// `;`-separated parameters, links separated by commas; commas inside quoted
/// parameter values do not separate). A malformed link is skipped.
pub(crate) fn link_header_urls(input: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return urls;
        }
        if let Some(inner) = rest.strip_prefix('<')
            && let Some(end) = inner.find('>')
        {
            urls.push(&inner[..end]);
            rest = &inner[end + 1..];
        }
        // Skip the parameters, to the comma that ends this link.
        let mut quoted = false;
        let mut escaped = false;
        let mut cut = rest.len();
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
            } else if quoted && c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = !quoted;
            } else if c == ',' && !quoted {
                cut = i;
                break;
            }
        }
        rest = &rest[cut..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcset_candidates() {
        assert_eq!(srcset_urls("a.png"), ["a.png"]);
        assert_eq!(srcset_urls(" a.png 1x, b.png 2x "), ["a.png", "b.png"]);
        assert_eq!(srcset_urls("a.png 100w,b.png 200w"), ["a.png", "b.png"]);
        // Commas inside a URL belong to it; trailing commas end the candidate.
        assert_eq!(
            srcset_urls("img,1.png 1x, img,2.png,, c.png"),
            ["img,1.png", "img,2.png", "c.png"]
        );
        assert_eq!(
            srcset_urls("data:image/png;base64,AAA= 1x, /b.png 2x"),
            ["data:image/png;base64,AAA=", "/b.png"]
        );
        // Parentheses keep commas inside descriptors (which are then invalid).
        assert_eq!(srcset_urls("a.png (x, y), b.png"), ["b.png"]);
        // Invalid descriptors drop their candidate only.
        assert_eq!(
            srcset_urls("a 1x 2x, b 0w, c -1x, d 10h, e 10w 20h, f 1.5x, g .5x, h 1e1x, i 1y"),
            ["e", "f", "g", "h"]
        );
        assert_eq!(srcset_urls(""), Vec::<&str>::new());
        assert_eq!(srcset_urls(" , ,, "), Vec::<&str>::new());
        assert_eq!(srcset_urls("\ta.png\n1x,\r\nb.png"), ["a.png", "b.png"]);
    }

    #[test]
    fn refresh_values() {
        assert_eq!(refresh_url("5; url=/next"), Some("/next"));
        assert_eq!(refresh_url("0;URL='/q?a=1'"), Some("/q?a=1"));
        assert_eq!(refresh_url("0; url = \"/dq\" trailing"), Some("/dq"));
        assert_eq!(refresh_url("3,/comma"), Some("/comma"));
        assert_eq!(refresh_url("3 /space"), Some("/space"));
        assert_eq!(refresh_url("1.5; url=/f"), Some("/f"));
        assert_eq!(refresh_url(".5; url=/dot"), Some("/dot"));
        assert_eq!(refresh_url("0; urlish"), Some("urlish"));
        assert_eq!(refresh_url("0; url /x"), Some("url /x"));
        assert_eq!(refresh_url("0; 'quoted"), Some("quoted"));
        assert_eq!(refresh_url("5"), None);
        assert_eq!(refresh_url("5;  "), None);
        assert_eq!(refresh_url("x; url=/no"), None);
        assert_eq!(refresh_url("5x; url=/no"), None);
        assert_eq!(refresh_url(""), None);
    }

    #[test]
    fn link_header_values() {
        assert_eq!(
            link_header_urls(
                r#"</style.css>; rel=preload; as=style, <https://cdn.example/x.js>; rel="preload""#
            ),
            ["/style.css", "https://cdn.example/x.js"]
        );
        assert_eq!(link_header_urls(r#"<a>; title="x, <b>", <c>"#), ["a", "c"]);
        assert_eq!(link_header_urls("garbage, <ok>; rel=next"), ["ok"]);
        assert_eq!(link_header_urls("<unclosed"), Vec::<&str>::new());
        assert_eq!(link_header_urls(""), Vec::<&str>::new());
    }
}
