//! `--state DIR` (the binary): a crawl killed at any moment resumes with the same
//! command, each page's output written exactly once; a finished crawl is not crawled
//! again; and a state that cannot be resumed (other settings, in use, corrupted) is
//! refused plainly, never with a panic.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::bin::{Run, reader};
use crate::support::{Bin, HANG_GUARD, Reply, Routes, TestServer};

/// Pages in a layer of the generated site (the first layers have fewer).
const WIDTH: usize = 40;

/// The depth the kill tests crawl to: layers 0 to 10 of the generated site, about 300
/// pages.
const DEPTH: &str = "10";

/// The page `/<tree>/<layer>/<j>` of the generated site: links to up to three pages
/// of the next layer and to no other. Every path to a page is then as long as its
/// layer, so which pages lie within `--depth` does not depend on the order the crawl
/// finds them in, and an interrupted crawl must write the very lines an uninterrupted
/// one does.
fn layered_page(path: &str, delay: Duration) -> Reply {
    let mut parts = path.trim_start_matches('/').split('/');
    let (Some(tree), Some(layer), Some(j)) = (parts.next(), parts.next(), parts.next()) else {
        return Reply::status(404, "no such page");
    };
    let (Ok(layer), Ok(j)) = (layer.parse::<usize>(), j.parse::<usize>()) else {
        return Reply::status(404, "no such page");
    };
    let mut targets: Vec<usize> = Vec::new();
    for t in [2 * j % WIDTH, (2 * j + 1) % WIDTH, (j + 7) % WIDTH] {
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let next = layer + 1;
    let links: String = targets
        .iter()
        .map(|t| format!("<a href=\"/{tree}/{next}/{t}\">page {t}</a>\n"))
        .collect();
    let body = format!("<!doctype html>\n<html><body>\n{links}</body></html>\n");
    Reply::delayed(delay, Reply::html(body))
}

/// Two generated trees, `/p/…` and `/q/…`, each page answered after `delay` (so that,
/// two at a time, a crawl to [`DEPTH`] takes a second or two and can be killed midway).
fn layered_site(delay: Duration) -> TestServer {
    TestServer::start(
        Routes::new()
            .dynamic("/p/", move |path| layered_page(path, delay))
            .dynamic("/q/", move |path| layered_page(path, delay)),
    )
}

/// `crawl urls.txt` recursively to `depth`, two requests at a time, then `extra`.
fn crawl_args<'a>(depth: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["urls.txt", "--depth", depth, "--ignore-robots", "-c", "2"];
    args.extend_from_slice(extra);
    args
}

/// Line feeds in the file at `path` (0 when it does not exist yet).
fn lines_in(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count())
}

/// The file's bytes, or `None` when it does not exist.
fn bytes_of(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// How often [`kill_when`] looks whether to kill.
const POLL: Duration = Duration::from_millis(2);

/// How a run that may have been killed ended.
struct Ended {
    run: Run,
    /// Whether SIGKILL ended it (rather than it ending on its own first).
    killed: bool,
}

/// Runs `crawl <args>` and kills it with SIGKILL as soon as `ready` holds, polling it
/// every `poll` (with zero, as fast as it can); or lets it end on its own if it does
/// so first.
///
/// # Panics
///
/// When neither happens within [`HANG_GUARD`].
fn kill_when(bin: &Bin, args: &[&str], poll: Duration, ready: impl Fn() -> bool) -> Ended {
    let mut child = bin.command(args).spawn().expect("spawn crawl");
    // Read both pipes as the child writes: a full pipe would stop it.
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let deadline = Instant::now() + HANG_GUARD;
    let mut sent = false;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        if ready() {
            child.kill().expect("SIGKILL the crawl");
            sent = true;
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "crawl {args:?} neither got there nor ended in {HANG_GUARD:?}; stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        if poll.is_zero() {
            std::thread::yield_now();
        } else {
            std::thread::sleep(poll);
        }
    }
    let status = child.wait().expect("wait for crawl");
    let run = Run {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    // A child that ended on its own just before the kill has an exit code.
    let killed = sent && run.code.is_none();
    Ended { run, killed }
}

#[track_caller]
fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Asserts `got` is `want` up to the order of its lines, with no line twice and no
/// torn line at the end, and the lines `ends` names in their place.
#[track_caller]
fn assert_same_lines(got: &str, want: &str, ends: Ends) {
    assert!(
        got.ends_with('\n'),
        "a torn line at the end: {:?}",
        tail(got)
    );
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for line in got.lines() {
        *seen.entry(line).or_default() += 1;
    }
    let twice: Vec<(&str, usize)> = seen
        .iter()
        .filter(|&(_, &n)| n > 1)
        .map(|(&l, &n)| (l, n))
        .take(5)
        .collect();
    assert!(twice.is_empty(), "lines written more than once: {twice:?}");
    let got_set: BTreeSet<&str> = seen.keys().copied().collect();
    let want_set: BTreeSet<&str> = want.lines().collect();
    let missing: Vec<&str> = want_set.difference(&got_set).take(5).copied().collect();
    let extra: Vec<&str> = got_set.difference(&want_set).take(5).copied().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} lines, {} expected; missing (first 5): {missing:?}; extra (first 5): {extra:?}",
        got_set.len(),
        want_set.len()
    );
    if ends.first {
        assert_eq!(got.lines().next(), want.lines().next(), "the first line");
    }
    if ends.last {
        assert_eq!(got.lines().last(), want.lines().last(), "the last line");
    }
}

/// Which lines of an output have a fixed place: a header row or a document's opening
/// line first, a document's closing line last.
#[derive(Debug, Clone, Copy, Default)]
struct Ends {
    first: bool,
    last: bool,
}

/// The last few hundred bytes of `text`, for messages.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(300);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The records of a `--pages` file and its summary (the last line).
fn records_and_summary(text: &str) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert!(
        summary.get("summary").is_some(),
        "the last line is not the summary: {summary}"
    );
    for record in &lines {
        assert!(
            record.get("summary").is_none(),
            "a summary before the end: {record}"
        );
    }
    (lines, summary)
}

/// Asserts the `--pages` file `got` records the URLs `want` does, each once, and ends
/// with the same counters.
#[track_caller]
fn assert_same_records(got: &str, want: &str) {
    assert!(
        got.ends_with('\n'),
        "a torn record at the end: {:?}",
        tail(got)
    );
    let (got_records, got_summary) = records_and_summary(got);
    let (want_records, want_summary) = records_and_summary(want);
    let url = |r: &Value| r["url"].as_str().expect("each record has a url").to_owned();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in &got_records {
        *seen.entry(url(record)).or_default() += 1;
    }
    let twice: Vec<(&String, &usize)> = seen.iter().filter(|&(_, &n)| n > 1).take(5).collect();
    assert!(twice.is_empty(), "URLs recorded more than once: {twice:?}");
    let got_urls: BTreeSet<String> = seen.keys().cloned().collect();
    let want_urls: BTreeSet<String> = want_records.iter().map(url).collect();
    let missing: Vec<&String> = want_urls.difference(&got_urls).take(5).collect();
    let extra: Vec<&String> = got_urls.difference(&want_urls).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} URLs recorded, {} expected; missing (first 5): {missing:?}; extra (first 5): \
         {extra:?}",
        got_urls.len(),
        want_urls.len()
    );
    for counter in [
        "listed",
        "pages",
        "links_written",
        "pages_written",
        "requested",
    ] {
        assert_eq!(
            got_summary["summary"][counter], want_summary["summary"][counter],
            "summary counter {counter}: {got_summary} vs uninterrupted {want_summary}"
        );
    }
}

/// Crawls the layered site uninterrupted into `whole.out`, then with `--state`, killed
/// with SIGKILL once the output holds each of `tenths` tenths of the lines (0: as soon
/// as it is not empty), resumed each time with the same command; and checks the
/// resumed output (and `--pages` file) against the uninterrupted one. `output`: the
/// format options.
fn killed_and_resumed_writes_what_one_run_does(output: &[&str], pages: bool, tenths: &[usize]) {
    let server = layered_site(Duration::from_millis(10));
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    let mut whole_args = crawl_args(DEPTH, &["-o", "whole.out"]);
    whole_args.extend(output);
    if pages {
        whole_args.extend(["--pages", "whole.jsonl"]);
    }
    bin.run(&whole_args).assert_code(0);
    let whole = bin.read("whole.out");
    let expected = whole.lines().count();
    assert!(
        expected > 500,
        "the site is too small to kill midway: {expected} lines"
    );

    let mut args = crawl_args(
        DEPTH,
        &["-o", "out", "--state", "state", "--commit-interval", "50ms"],
    );
    args.extend(output);
    if pages {
        args.extend(["--pages", "pages.jsonl"]);
    }
    let out = bin.path("out");
    let mut killed = Vec::new();
    for &tenth in tenths {
        let when = format!("at {tenth}/10");
        let lines = (expected * tenth / 10).max(1);
        let ended = kill_when(&bin, &args, POLL, || lines_in(&out) >= lines);
        assert_no_panic(&ended.run);
        if ended.killed {
            killed.push(when);
        } else {
            // It got to the end before the kill: a normal end.
            assert_eq!(
                ended.run.code,
                Some(0),
                "the run to be killed {when} failed (killed before: {killed:?}); stderr:\n{}",
                ended.run.stderr
            );
        }
    }
    let last = bin.run(&args);
    assert_no_panic(&last);
    assert_eq!(
        last.code,
        Some(0),
        "the last run failed (killed before: {killed:?}); stderr:\n{}",
        last.stderr
    );
    // The end is far from half the lines: a crawl not killed there was not tested.
    for &tenth in tenths.iter().filter(|&&t| t <= 5) {
        let when = format!("at {tenth}/10");
        assert!(
            killed.contains(&when),
            "the crawl was not killed {when} (killed: {killed:?})"
        );
    }
    // A header row, or the opening and closing lines of a whole document, must be
    // where they belong, not merely there once.
    let document = output.contains(&"dot") || output.contains(&"graphml");
    let ends = Ends {
        first: document || output.contains(&"--header-row"),
        last: document,
    };
    let got = bin.read("out");
    assert_same_lines(&got, &whole, ends);
    if pages {
        assert_same_records(&bin.read("pages.jsonl"), &bin.read("whole.jsonl"));
    }
    // Resumed to its end, the crawl is as finished as one never killed.
    let hits = server.total_hits();
    let again = bin.run(&args);
    again.assert_code(0);
    assert!(
        again.stderr.to_lowercase().contains("finished"),
        "{}",
        again.stderr
    );
    assert_eq!(
        server.total_hits(),
        hits,
        "a rerun after the end fetched pages"
    );
    assert_eq!(
        bin.read("out"),
        got,
        "a rerun after the end changed the output"
    );
}

/// Early (as soon as there is output), midway, near the end.
const THREE_KILLS: &[usize] = &[0, 5, 9];

#[test]
fn tsv_and_pages_killed_at_any_moment_and_resumed_hold_each_line_exactly_once() {
    killed_and_resumed_writes_what_one_run_does(&["--format", "tsv"], true, THREE_KILLS);
}

#[test]
fn a_crawl_killed_ten_times_over_still_holds_each_line_exactly_once() {
    killed_and_resumed_writes_what_one_run_does(
        &["--format", "tsv"],
        true,
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
}

#[test]
fn jsonl_and_pages_killed_at_any_moment_and_resumed_hold_each_line_exactly_once() {
    killed_and_resumed_writes_what_one_run_does(&["--format", "jsonl"], true, THREE_KILLS);
}

#[test]
fn csv_with_a_header_row_killed_at_any_moment_and_resumed_has_the_header_once_first() {
    killed_and_resumed_writes_what_one_run_does(
        &["--format", "csv", "--header-row"],
        false,
        THREE_KILLS,
    );
}

#[test]
fn dot_killed_at_any_moment_and_resumed_is_one_whole_document() {
    killed_and_resumed_writes_what_one_run_does(&["--format", "dot"], false, THREE_KILLS);
}

#[test]
fn graphml_killed_at_any_moment_and_resumed_is_one_whole_document() {
    killed_and_resumed_writes_what_one_run_does(&["--format", "graphml"], false, THREE_KILLS);
}

#[test]
fn a_crawl_killed_as_its_state_is_created_resumes() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    bin.run(&crawl_args("2", &["-o", "whole.tsv"]))
        .assert_code(0);
    let whole = bin.read("whole.tsv");
    let args = crawl_args("2", &["-o", "out.tsv", "--state", "state"]);
    let db = bin.path("state/crawl.redb");
    // The moment is a race: try it a few times.
    for attempt in 1..=30 {
        let _ = std::fs::remove_dir_all(bin.path("state"));
        let _ = std::fs::remove_file(bin.path("out.tsv"));
        let ended = kill_when(&bin, &args, Duration::ZERO, || db.exists());
        assert_no_panic(&ended.run);
        let left = std::fs::metadata(&db).map(|m| m.len());
        let run = bin.run(&args);
        assert_no_panic(&run);
        assert_eq!(
            run.code,
            Some(0),
            "attempt {attempt}: the run after a kill as the state file appeared (killed: {}, \
             {left:?} bytes left) failed; stderr:\n{}",
            ended.killed,
            run.stderr
        );
        assert_same_lines(&bin.read("out.tsv"), &whole, Ends::default());
    }
}

#[test]
fn a_document_killed_as_its_closing_lines_are_written_closes_once() {
    let server = layered_site(Duration::ZERO);
    for format in ["dot", "graphml"] {
        let bin = Bin::new();
        bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
        let output = ["--format", format];
        let mut whole_args = crawl_args("3", &["-o", "whole.out"]);
        whole_args.extend(output);
        bin.run(&whole_args).assert_code(0);
        let whole = bin.read("whole.out");
        let mut args = crawl_args("3", &["-o", "out", "--state", "state"]);
        args.extend(output);
        let out = bin.path("out");
        // Whole, the output is as long as the uninterrupted one (the same lines); a
        // stat is quicker than a read, and the moment is short.
        let len = whole.len() as u64;
        let closed = || std::fs::metadata(&out).is_ok_and(|m| m.len() == len);
        // The moment is a race: try it a few times.
        for attempt in 1..=5 {
            let _ = std::fs::remove_dir_all(bin.path("state"));
            let _ = std::fs::remove_file(&out);
            let ended = kill_when(&bin, &args, Duration::ZERO, closed);
            assert_no_panic(&ended.run);
            if !ended.killed {
                ended.run.assert_code(0);
            }
            let run = bin.run(&args);
            assert_no_panic(&run);
            assert_eq!(
                run.code,
                Some(0),
                "{format}, attempt {attempt} (killed: {}): stderr:\n{}",
                ended.killed,
                run.stderr
            );
            let ends = Ends {
                first: true,
                last: true,
            };
            assert_same_lines(&bin.read("out"), &whole, ends);
        }
    }
}

#[test]
fn pages_killed_as_the_summary_is_written_have_one_summary_last() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    bin.run(&crawl_args(
        "3",
        &["-o", "whole.tsv", "--pages", "whole.jsonl"],
    ))
    .assert_code(0);
    let args = crawl_args(
        "3",
        &[
            "-o",
            "out.tsv",
            "--state",
            "state",
            "--pages",
            "pages.jsonl",
        ],
    );
    let pages = bin.path("pages.jsonl");
    let summed = || {
        std::fs::read(&pages).is_ok_and(|b| {
            let text = String::from_utf8_lossy(&b);
            text.ends_with("}\n")
                && text
                    .lines()
                    .last()
                    .is_some_and(|l| l.starts_with("{\"summary\""))
        })
    };
    // The moment is a race: try it a few times.
    for attempt in 1..=5 {
        let _ = std::fs::remove_dir_all(bin.path("state"));
        let _ = std::fs::remove_file(bin.path("out.tsv"));
        let _ = std::fs::remove_file(&pages);
        let ended = kill_when(&bin, &args, Duration::ZERO, summed);
        assert_no_panic(&ended.run);
        if !ended.killed {
            ended.run.assert_code(0);
        }
        let run = bin.run(&args);
        assert_no_panic(&run);
        assert_eq!(
            run.code,
            Some(0),
            "attempt {attempt} (killed: {}): stderr:\n{}",
            ended.killed,
            run.stderr
        );
        assert_same_records(&bin.read("pages.jsonl"), &bin.read("whole.jsonl"));
        assert_same_lines(
            &bin.read("out.tsv"),
            &bin.read("whole.tsv"),
            Ends::default(),
        );
    }
}

#[test]
fn a_rerun_of_a_finished_crawl_fetches_nothing_and_changes_nothing() {
    let server = layered_site(Duration::ZERO);
    for format in ["tsv", "dot", "graphml"] {
        let bin = Bin::new();
        bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
        let args = crawl_args(
            "3",
            &[
                "-o",
                "out",
                "--format",
                format,
                "--state",
                "state",
                "--pages",
                "pages.jsonl",
            ],
        );
        bin.run(&args).assert_code(0);
        let out = bin.read("out");
        let pages = bin.read("pages.jsonl");
        let hits = server.total_hits();
        let run = bin.run(&args);
        run.assert_code(0);
        assert_no_panic(&run);
        assert!(
            run.stderr.to_lowercase().contains("finished"),
            "{format}: the rerun does not say the crawl had finished:\n{}",
            run.stderr
        );
        assert_eq!(
            server.total_hits(),
            hits,
            "{format}: the rerun fetched pages"
        );
        assert_eq!(
            bin.read("out"),
            out,
            "{format}: the rerun changed the output"
        );
        assert_eq!(
            without_timing(&bin.read("pages.jsonl")),
            without_timing(&pages),
            "{format}: the rerun changed the --pages file"
        );
    }
}

/// A `--pages` file with the timing of its summary line left out (`started_ms`,
/// `elapsed_ms`), each line parsed.
fn without_timing(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            if let Some(summary) = v.get_mut("summary").and_then(Value::as_object_mut) {
                summary.remove("started_ms");
                summary.remove("elapsed_ms");
            }
            v
        })
        .collect()
}

/// Asserts `stderr` has a line naming `setting` with both values (as whole words).
#[track_caller]
fn assert_names_setting(stderr: &str, setting: &str, was: &str, now: &str) {
    let named = stderr.lines().any(|line| {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .collect();
        line.contains(setting) && words.contains(&was) && words.contains(&now)
    });
    assert!(
        named,
        "no line names {setting} with {was} and {now}:\n{stderr}"
    );
}

#[test]
fn a_rerun_with_another_depth_or_format_exits_2_naming_the_setting_and_both_values() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    let state = ["-o", "out.tsv", "--state", "state"];
    let with = |depth: &'static str, format: &'static str| {
        let mut args = crawl_args(depth, &state);
        args.extend(["--format", format]);
        args
    };
    bin.run(&with("2", "tsv")).assert_code(0);
    let out = bin.read("out.tsv");
    let hits = server.total_hits();

    let run = bin.run(&with("3", "tsv"));
    run.assert_code(2);
    assert_no_panic(&run);
    assert_names_setting(&run.stderr, "--depth", "2", "3");

    let run = bin.run(&with("2", "jsonl"));
    run.assert_code(2);
    assert_names_setting(&run.stderr, "--format", "tsv", "jsonl");

    assert_eq!(server.total_hits(), hits, "a refused rerun fetched pages");
    assert_eq!(
        bin.read("out.tsv"),
        out,
        "a refused rerun changed the output"
    );
    // The state is still the crawl it was.
    let run = bin.run(&with("2", "tsv"));
    run.assert_code(0);
    assert!(
        run.stderr.to_lowercase().contains("finished"),
        "{}",
        run.stderr
    );
    assert_eq!(bin.read("out.tsv"), out);
}

#[test]
fn a_refused_rerun_of_a_killed_crawl_leaves_it_to_resume() {
    let server = layered_site(Duration::from_millis(10));
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    bin.run(&crawl_args(DEPTH, &["-o", "whole.tsv"]))
        .assert_code(0);
    let whole = bin.read("whole.tsv");
    let state = [
        "-o",
        "out.tsv",
        "--state",
        "state",
        "--commit-interval",
        "50ms",
    ];
    let args = crawl_args(DEPTH, &state);
    let out = bin.path("out.tsv");
    let half = whole.lines().count() / 2;
    let ended = kill_when(&bin, &args, POLL, || lines_in(&out) >= half);
    assert_no_panic(&ended.run);
    assert!(ended.killed, "the crawl ended before the kill");
    let before = bytes_of(&out);
    let hits = server.total_hits();
    let run = bin.run(&crawl_args("11", &state));
    run.assert_code(2);
    assert_names_setting(&run.stderr, "--depth", DEPTH, "11");
    assert_eq!(server.total_hits(), hits, "a refused rerun fetched pages");
    assert_eq!(bytes_of(&out), before, "a refused rerun changed the output");
    let run = bin.run(&args);
    run.assert_code(0);
    assert_no_panic(&run);
    assert_same_lines(&bin.read("out.tsv"), &whole, Ends::default());
}

#[test]
fn state_with_the_output_on_stdout_is_a_usage_error() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://127.0.0.1:9/\n");
    let run = bin.run(&["urls.txt", "-o", "-", "--state", "state"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--state"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        !bin.path("state").exists(),
        "a usage error created the state directory"
    );
}

#[test]
fn state_with_append_or_report_is_a_usage_error() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://127.0.0.1:9/\n");
    for extra in [&["--append"][..], &["--report", "r.html"]] {
        let mut args = vec!["urls.txt", "-o", "out.tsv", "--state", "state"];
        args.extend(extra);
        let run = bin.run(&args);
        run.assert_code(2);
        assert!(run.stderr.contains("--state"), "{extra:?}: {}", run.stderr);
        assert!(
            !bin.path("state").exists(),
            "{extra:?}: a usage error created the state directory"
        );
        assert!(
            !bin.path("out.tsv").exists(),
            "{extra:?}: the output was created"
        );
    }
}

#[test]
fn a_second_crawl_on_a_state_in_use_exits_at_once_saying_so() {
    // /hang never answers: the first crawl stays running for as long as the test
    // wants, its state open.
    let server = TestServer::start(
        Routes::new()
            .route(
                "/s",
                Reply::html("<a href=\"/a\">a</a> <a href=\"/hang\">hang</a>"),
            )
            .route("/a", Reply::html("<a href=\"/s\">back</a>"))
            .route("/hang", Reply::Silence),
    );
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/s")));
    let args = crawl_args(
        "1",
        &[
            "-o",
            "out.tsv",
            "--state",
            "state",
            "--commit-interval",
            "50ms",
            "--timeout",
            "10m",
        ],
    );
    let mut first = bin.command(&args).spawn().expect("spawn the first crawl");
    let first_stderr = reader(first.stderr.take());
    let _first_stdout = reader(first.stdout.take());
    // Wait until the first has written all it will (three lines) and waits on /hang.
    let deadline = Instant::now() + HANG_GUARD;
    while lines_in(&bin.path("out.tsv")) < 3 || server.hits("/hang") == 0 {
        if Instant::now() > deadline || first.try_wait().expect("try_wait").is_some() {
            let _ = first.kill();
            let _ = first.wait();
            panic!(
                "the first crawl did not get to /hang; stderr:\n{}",
                first_stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = bin.read("out.tsv");
    // If the second waited for the first to let go, the hang guard would fail it.
    let second = bin.run(&args);
    let still_running = first.try_wait().expect("try_wait").is_none();
    let _ = first.kill();
    let _ = first.wait();
    assert!(still_running, "the first crawl ended before the second");
    assert_eq!(second.code, Some(1), "{}", second.stderr);
    assert_no_panic(&second);
    assert!(second.stderr.contains("in use"), "{}", second.stderr);
    assert_eq!(
        bin.read("out.tsv"),
        out,
        "the second crawl touched the first one's output"
    );
}

/// Bytes that are no redb database (a fixed pseudo-random sequence).
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Runs `args` on a corrupted state in `dir`: exit 1, naming the directory and saying
/// it is corrupted, the output left as it was.
#[track_caller]
fn assert_refused_as_corrupted(bin: &Bin, args: &[&str], dir: &str, what: &str) {
    let before = bytes_of(&bin.path("out.tsv"));
    let run = bin.run(args);
    assert_no_panic(&run);
    assert_eq!(
        run.code,
        Some(1),
        "{what}: exit code; stderr:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(dir) && run.stderr.contains("corrupted"),
        "{what}: the message does not name {dir} as corrupted:\n{}",
        run.stderr
    );
    assert_eq!(
        bytes_of(&bin.path("out.tsv")),
        before,
        "{what}: the output changed"
    );
}

#[test]
fn a_state_of_garbage_exits_1_naming_the_directory_and_never_panics() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    let dir = "my-crawl-state";
    let args = crawl_args("2", &["-o", "out.tsv", "--state", dir]);
    let db = bin.path(&format!("{dir}/crawl.redb"));

    // Garbage where no crawl ever ran; an output from before stays as it was.
    std::fs::create_dir(bin.path(dir)).expect("mkdir");
    std::fs::write(&db, garbage(4096)).expect("write garbage");
    bin.write("out.tsv", "kept\tintact\n");
    assert_refused_as_corrupted(&bin, &args, dir, "garbage");
    assert_eq!(server.total_hits(), 0, "a corrupted state started a crawl");

    // A real state overwritten with garbage of its own length.
    std::fs::remove_dir_all(bin.path(dir)).expect("rm state");
    bin.run(&args).assert_code(0);
    let len = std::fs::metadata(&db).expect("the state file").len();
    let len = usize::try_from(len).expect("length");
    std::fs::write(&db, garbage(len)).expect("overwrite with garbage");
    assert_refused_as_corrupted(&bin, &args, dir, "overwritten");
}

#[test]
fn a_state_cut_short_exits_1_naming_the_directory_and_never_panics() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    let dir = "my-crawl-state";
    let args = crawl_args("2", &["-o", "out.tsv", "--state", dir]);
    let db = bin.path(&format!("{dir}/crawl.redb"));
    bin.run(&args).assert_code(0);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open the state file");
    let len = file.metadata().expect("metadata").len();
    file.set_len(len / 2).expect("truncate");
    drop(file);
    assert_refused_as_corrupted(&bin, &args, dir, "cut in half");
}

#[test]
fn seeds_added_to_the_list_after_a_kill_are_crawled_on_resume() {
    let server = layered_site(Duration::from_millis(10));
    let bin = Bin::new();
    let first = format!("{}\n", server.url_str("/p/0/0"));
    let both = format!("{first}{}\n", server.url_str("/q/0/0"));
    bin.write("urls.txt", &both);
    bin.run(&crawl_args(
        DEPTH,
        &["-o", "whole.tsv", "--pages", "whole.jsonl"],
    ))
    .assert_code(0);
    let whole = bin.read("whole.tsv");

    bin.write("urls.txt", &first);
    let args = crawl_args(
        DEPTH,
        &[
            "-o",
            "out.tsv",
            "--state",
            "state",
            "--commit-interval",
            "50ms",
            "--pages",
            "pages.jsonl",
        ],
    );
    let out = bin.path("out.tsv");
    let ended = kill_when(&bin, &args, POLL, || lines_in(&out) > 0);
    assert_no_panic(&ended.run);
    assert!(ended.killed, "the first crawl ended before the kill");

    // Killed once more with both seeds listed: the second is listed once, not twice.
    bin.write("urls.txt", &both);
    let half = whole.lines().count() / 2;
    let ended = kill_when(&bin, &args, POLL, || lines_in(&out) >= half);
    assert_no_panic(&ended.run);
    assert!(ended.killed, "the second crawl ended before the kill");
    let run = bin.run(&args);
    run.assert_code(0);
    assert_no_panic(&run);
    let got = bin.read("out.tsv");
    let q_source = format!("{}\t", server.url_str("/q/0/0"));
    assert!(
        got.lines().any(|l| l.starts_with(&q_source)),
        "the added seed was not crawled"
    );
    assert_same_lines(&got, &whole, Ends::default());
    assert_same_records(&bin.read("pages.jsonl"), &bin.read("whole.jsonl"));
}

#[test]
fn a_crawl_resumes_with_other_concurrency_politeness_timeouts_and_verbosity() {
    let server = layered_site(Duration::from_millis(10));
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    bin.run(&crawl_args(DEPTH, &["-o", "whole.tsv"]))
        .assert_code(0);
    let whole = bin.read("whole.tsv");
    let state = ["-o", "out.tsv", "--state", "state"];
    let out = bin.path("out.tsv");
    let mut first = crawl_args(DEPTH, &state);
    first.extend(["--commit-interval", "50ms"]);
    let ended = kill_when(&bin, &first, POLL, || lines_in(&out) > 0);
    assert_no_panic(&ended.run);
    assert!(ended.killed, "the first crawl ended before the kill");
    let mut other = vec!["urls.txt", "--depth", DEPTH, "--ignore-robots"];
    other.extend(state);
    other.extend([
        "-c",
        "5",
        "--host-concurrency",
        "3",
        "--host-delay",
        "1ms",
        "--timeout",
        "20s",
        "--retries",
        "1",
        "--commit-interval",
        "200ms",
        "-q",
    ]);
    let run = bin.run(&other);
    run.assert_code(0);
    assert_no_panic(&run);
    assert_same_lines(&bin.read("out.tsv"), &whole, Ends::default());
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_exits_1_naming_the_output_and_the_state_still_opens() {
    let server = layered_site(Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/p/0/0")));
    let args = crawl_args(
        "2",
        &[
            "-o",
            "/dev/full",
            "--state",
            "state",
            "--commit-interval",
            "50ms",
        ],
    );
    for attempt in ["first", "second"] {
        let run = bin.run(&args);
        assert_no_panic(&run);
        assert_eq!(
            run.code,
            Some(1),
            "{attempt} run: exit code; stderr:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("/dev/full"),
            "{attempt} run: the message does not name /dev/full:\n{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("crawl state"),
            "{attempt} run: a state error rather than the full disk:\n{}",
            run.stderr
        );
    }
}
