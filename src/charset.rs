//! Character encoding (placeholder until the WHATWG-exact sniffer lands).
use std::borrow::Cow;
/// Decode.
pub fn decode<'a>(body: &'a [u8], _content_type: Option<&str>) -> Cow<'a, str> {
    String::from_utf8_lossy(body)
}
