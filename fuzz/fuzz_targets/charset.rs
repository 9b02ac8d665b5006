//! The charset sniffer and decoder on arbitrary bytes and Content-Type values: never
//! panics, and decoding with the sniffed encoding agrees with `decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&n| usize::from(n)).min(data.len());
    let (ct, body) = data.split_at(split);
    let ct = String::from_utf8_lossy(ct);
    let ct = (!ct.is_empty()).then_some(&*ct);
    let encoding = crawl::charset::sniff(body, ct);
    let text = crawl::charset::decode(body, ct);
    let (again, _, _) = encoding.decode(body);
    assert_eq!(text, again);
    if let Some(ct) = ct {
        let _ = crawl::charset::content_type_charset(ct);
    }
});
