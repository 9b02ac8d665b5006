use super::*;

fn hrefs(html: &str) -> (Vec<String>, Option<Stop>) {
    let (found, stop) = parse(html, crate::extract::LinkKinds::HYPERLINKS, || None);
    (
        found.hrefs.iter().map(|(h, _, _)| h.to_string()).collect(),
        stop,
    )
}

#[test]
fn a_lean_node_is_32_bytes() {
    assert_eq!(tree::NODE_SIZE, 32);
}

#[test]
fn deep_nesting_is_capped_and_its_links_still_found() {
    // 100,000 nested divs took html5ever 50 s of CPU: the stack scans are quadratic.
    let depth = 100_000;
    let html = format!(
        "{}<a href=/deep>d</a><textarea><a href=/not-a-link></textarea>{}<a href=/after>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let (found, stop) = hrefs(&html);
    assert_eq!(stop, None);
    assert_eq!(found, ["/deep", "/after"]);
}

#[test]
fn below_the_cap_the_tree_is_untouched() {
    let depth = MAX_DEPTH - 10;
    let html = format!("{}<a href=/x>x</a>", "<div>".repeat(depth));
    assert_eq!(hrefs(&html), (vec!["/x".to_owned()], None));
}

#[test]
fn rebuilt_formatting_elements_spend_the_budget() {
    // Formatting elements closed with their paragraph are rebuilt in the next one:
    // each `<p>x</p>` (8 bytes) builds 401 elements.
    let html = format!(
        "<a href=/first>x</a><p>{}</p>{}",
        (0..400).map(|i| format!("<b id={i}>")).collect::<String>(),
        "<p>x</p>".repeat(20_000)
    );
    let (found, stop) = hrefs(&html);
    let budget = element_budget(html.len());
    assert_eq!(stop, Some(Stop::Budget { elements: budget }));
    assert_eq!(found, ["/first"], "what was found before the stop is kept");
}

#[test]
fn the_check_runs_between_chunks_and_stops_the_parse() {
    let html = format!("<a href=/a>{}<a href=/b>", " ".repeat(3 * CHUNK));
    let mut calls = 0;
    let (found, stop) = parse(&html, crate::extract::LinkKinds::HYPERLINKS, || {
        calls += 1;
        (calls == 2).then_some(Stop::Deadline)
    });
    assert_eq!(stop, Some(Stop::Deadline));
    assert_eq!(calls, 2);
    let found: Vec<_> = found.hrefs.iter().map(|(h, _, _)| h.to_string()).collect();
    assert_eq!(found, ["/a"]);
}

#[test]
fn chunks_split_characters_and_tags_safely() {
    // A multi-byte character and a tag across every chunk boundary.
    let filler = "é".repeat(CHUNK / 2 - 3);
    let html = format!("{filler}<a href=/é1>{filler}<a href=/é2>{filler}\r\n<a href=/3>");
    assert_eq!(hrefs(&html).0, ["/é1", "/é2", "/3"]);
}
