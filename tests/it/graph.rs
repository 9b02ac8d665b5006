//! The whole-document formats of a recursive crawl, read back: GraphML by an XML
//! parser, DOT by Graphviz when it is installed (and by its grammar's shape always),
//! each against the TSV of the same crawl.

use std::collections::HashSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::support::{Bin, Routes, TestServer};

/// `fixtures/graph/`, crawled from `/index.html`.
fn site() -> TestServer {
    TestServer::start(
        Routes::new()
            .fixture("/index.html", "graph/index.html")
            .fixture("/p1.html", "graph/p1.html")
            .fixture("/p2.html?a=1&b=2", "graph/p2.html")
            .fixture("/it's.html", "graph/it's.html")
            .fixture("/deep/p3.html", "graph/deep/p3.html"),
    )
}

/// Crawls the site to depth 2 with the real binary and returns what it wrote.
fn crawl_as(server: &TestServer, format: &str) -> String {
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/index.html")));
    let run = bin.run(&["urls.txt", "-o", "-", "--depth", "2", "--format", format]);
    run.assert_code(0);
    run.stdout
}

/// The TSV pairs of the same crawl, sorted.
fn tsv_pairs(server: &TestServer) -> Vec<(String, String)> {
    let tsv = crawl_as(server, "tsv");
    let mut pairs: Vec<(String, String)> = tsv
        .lines()
        .map(|l| {
            let (s, t) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("TSV line {l:?}"));
            (s.to_owned(), t.to_owned())
        })
        .collect();
    pairs.sort();
    pairs
}

fn attr(e: &BytesStart<'_>, name: &str) -> String {
    let a = e
        .try_get_attribute(name)
        .expect("well-formed attributes")
        .unwrap_or_else(|| panic!("<{:?}> without {name}", e.name()));
    a.normalized_value(XmlVersion::Implicit1_0)
        .expect("attribute value unescapes")
        .into_owned()
}

#[test]
fn graphml_is_well_formed_and_every_edge_joins_declared_nodes() {
    let server = site();
    let xml = crawl_as(&server, "graphml");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut open: Vec<String> = Vec::new();
    let mut nodes: Vec<String> = Vec::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "GraphML is not well-formed at {}: {e}\n{xml}",
                reader.buffer_position()
            )
        });
        let (e, empty) = match event {
            Event::Eof => break,
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                open.pop();
                continue;
            }
            _ => continue,
        };
        let name = e.local_name().as_ref().to_owned();
        match name.as_str() {
            "node" => nodes.push(attr(&e, "id")),
            "edge" => edges.push((attr(&e, "source"), attr(&e, "target"))),
            "graphml" => assert!(open.is_empty(), "<graphml> is the root"),
            _ => {}
        }
        if !empty {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    let declared: HashSet<&String> = nodes.iter().collect();
    assert_eq!(
        declared.len(),
        nodes.len(),
        "a node declared twice: {nodes:#?}"
    );
    for (source, target) in &edges {
        assert!(declared.contains(source), "edge from undeclared {source}");
        assert!(declared.contains(target), "edge to undeclared {target}");
    }
    // The escaping round-trips: an `&` in a query, an apostrophe in a path.
    assert!(
        declared.contains(&server.url_str("/p2.html?a=1&b=2")),
        "{nodes:#?}"
    );
    assert!(
        declared.contains(&server.url_str("/it's.html")),
        "{nodes:#?}"
    );
    assert!(
        declared.contains(&"http://other.invalid/ext".to_owned()),
        "unfetched targets are nodes"
    );
    // index 6 (its self-links are one), p1 2, p2 2, it's 2, deep/p3 3.
    assert_eq!(edges.len(), 15, "{edges:#?}");
    edges.sort();
    assert_eq!(edges, tsv_pairs(&server), "the edges are the TSV pairs");
}

/// Reads the DOT the crawler writes: a `digraph crawl { … }` whose lines are each
/// `  "source" -> "target";`.
fn dot_edges(dot: &str) -> Vec<(String, String)> {
    let mut lines = dot.lines();
    assert_eq!(lines.next(), Some("digraph crawl {"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    let mut edges = Vec::new();
    for line in lines {
        if line == "}" {
            continue;
        }
        let rest = line
            .strip_prefix("  ")
            .unwrap_or_else(|| panic!("{line:?}"));
        let (source, rest) = dot_string(rest).unwrap_or_else(|| panic!("{line:?}"));
        let rest = rest
            .strip_prefix(" -> ")
            .unwrap_or_else(|| panic!("{line:?}"));
        let (target, rest) = dot_string(rest).unwrap_or_else(|| panic!("{line:?}"));
        assert_eq!(rest, ";", "{line:?}");
        edges.push((source, target));
    }
    assert_eq!(dot.lines().filter(|l| *l == "}").count(), 1, "{dot}");
    edges
}

/// A DOT double-quoted string at the start of `s` (`\"` and `\\` escaped), and the rest.
fn dot_string(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

#[test]
fn dot_is_a_digraph_graphviz_accepts() {
    let server = site();
    let dot = crawl_as(&server, "dot");
    let mut edges = dot_edges(&dot);
    edges.sort();
    assert_eq!(edges, tsv_pairs(&server), "the edges are the TSV pairs");
    // CI installs Graphviz; where it is missing, the shape check above stands alone.
    let child = Command::new("dot")
        .arg("-Tcanon")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("Graphviz `dot` not found: only the shape of the DOT was checked");
            return;
        }
        Err(e) => panic!("running dot: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot.as_bytes())
        .expect("write to dot");
    let out = child.wait_with_output().expect("dot runs");
    assert!(
        out.status.success(),
        "dot rejected the graph: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    let canon = String::from_utf8_lossy(&out.stdout);
    assert!(canon.contains("digraph crawl"), "{canon}");
}
