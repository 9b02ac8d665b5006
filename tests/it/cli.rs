//! The real `crawl` binary, run in a temporary directory.

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::bin::{reader, wait};
use crate::support::{Bin, Reply, Routes, TestServer, fixture};

fn site() -> TestServer {
    TestServer::start(
        Routes::new()
            .fixture("/index.html", "site/index.html")
            .fixture("/a.html", "site/a.html")
            .fixture("/sub/d.html", "site/sub/d.html"),
    )
}

/// The TSV lines the site's `/a.html` gives.
fn a_lines(server: &TestServer) -> Vec<String> {
    let a = server.url_str("/a.html");
    ["/index.html", "/up.html", "/b.html?q=1&r=2"]
        .iter()
        .map(|t| format!("{a}\t{}", server.url_str(t)))
        .collect()
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_owned).collect()
}

#[test]
fn reads_urls_txt_and_writes_foundurls_txt_by_default() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&[]);
    run.assert_code(0);
    assert_eq!(lines(&bin.read("foundurls.txt")), a_lines(&server));
    assert!(bin.read("foundurls.txt").ends_with('\n'));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("crawl done"),
        "the summary: {}",
        run.stderr
    );
}

#[test]
fn dash_o_dash_writes_stdout_and_no_file() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&["urls.txt", "-o", "-"]);
    run.assert_code(0);
    assert_eq!(lines(&run.stdout), a_lines(&server));
    assert!(!bin.path("foundurls.txt").exists());
}

#[test]
fn header_comes_first() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&["urls.txt", "-o", "-", "--header-row"]);
    run.assert_code(0);
    let got = lines(&run.stdout);
    assert_eq!(got[0], "source_url\tparsed_url");
    assert_eq!(got[1..], a_lines(&server)[..]);
}

#[test]
fn a_header_row_is_refused_where_the_format_has_none() {
    let bin = Bin::new();
    bin.write("urls.txt", "");
    for format in ["jsonl", "dot", "graphml"] {
        let run = bin.run(&["--header-row", "--format", format]);
        run.assert_code(2);
        assert!(run.stderr.contains("header row"), "{}", run.stderr);
    }
    assert!(!bin.path("foundurls.txt").exists(), "nothing was run");
    bin.run(&["--header-row", "--format", "csv"]).assert_code(0);
}

#[test]
fn the_source_column_is_the_listed_url_as_parsed() {
    let server = site();
    let bin = Bin::new();
    let port = server.addr().port();
    bin.write(
        "urls.txt",
        format!("  HTTP://127.0.0.1:{port}/sub/./x/../d.html#frag  \r\n"),
    );
    let run = bin.run(&["-o", "-"]);
    run.assert_code(0);
    let source = server.url_str("/sub/d.html");
    let got = lines(&run.stdout);
    assert_eq!(got.len(), 3, "{got:?}");
    for line in got {
        assert!(line.starts_with(&format!("{source}\t")), "{line}");
    }
}

#[test]
fn csv_parses_back() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&["urls.txt", "-o", "-", "--format", "csv"]);
    run.assert_code(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    assert_eq!(headers.iter().collect::<Vec<_>>(), ["source", "target"]);
    let rows: Vec<String> = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            format!("{}\t{}", &r[0], &r[1])
        })
        .collect();
    assert_eq!(rows, a_lines(&server));
}

#[test]
fn jsonl_parses_back() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&["urls.txt", "-o", "-", "--format", "jsonl"]);
    run.assert_code(0);
    let rows: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON object per line");
            assert_eq!(v["tag"], "a");
            assert_eq!(v["attr"], "href");
            format!(
                "{}\t{}",
                v["source"].as_str().expect("source"),
                v["target"].as_str().expect("target")
            )
        })
        .collect();
    assert_eq!(rows, a_lines(&server));
}

#[test]
fn append_adds_to_the_file_and_writes_the_header_once() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    bin.run(&["--header-row", "--append"]).assert_code(0);
    bin.run(&["--header-row", "--append"]).assert_code(0);
    let mut expected = vec!["source_url\tparsed_url".to_owned()];
    expected.extend(a_lines(&server));
    expected.extend(a_lines(&server));
    assert_eq!(lines(&bin.read("foundurls.txt")), expected);
    // Without --append the file is replaced.
    bin.run(&[]).assert_code(0);
    assert_eq!(lines(&bin.read("foundurls.txt")), a_lines(&server));
}

#[test]
fn dash_reads_the_list_from_stdin() {
    let server = site();
    let bin = Bin::new();
    let mut child = bin
        .command(&["-", "-o", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(
        &mut stdin,
        format!("{}\n", server.url_str("/a.html")).as_bytes(),
    )
    .expect("write stdin");
    drop(stdin);
    let run = wait(child);
    run.assert_code(0);
    assert_eq!(lines(&run.stdout), a_lines(&server));
}

#[test]
fn quiet_prints_no_warning_and_no_summary() {
    let server = site();
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!("not a url\n{}\n", server.url_str("/a.html")),
    );
    let run = bin.run(&["-q", "-o", "-"]);
    run.assert_code(0);
    assert_eq!(lines(&run.stdout), a_lines(&server));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn bad_lines_are_warned_with_their_number_and_the_rest_is_crawled() {
    let server = site();
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!(
            "# a comment\n\nnot a url\n{}\nftp://example.com/file\n",
            server.url_str("/a.html")
        ),
    );
    let run = bin.run(&["-o", "-"]);
    run.assert_code(0);
    assert_eq!(lines(&run.stdout), a_lines(&server));
    let warning = |n: u32, content: &str| {
        run.stderr
            .lines()
            .any(|l| l.contains(&format!("urls.txt:{n}")) && l.contains(content))
    };
    assert!(warning(3, "not a url"), "{}", run.stderr);
    assert!(warning(5, "ftp://example.com/file"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("urls.txt:1"),
        "a comment is not bad: {}",
        run.stderr
    );
}

#[test]
fn a_missing_input_file_exits_1_naming_it() {
    let bin = Bin::new();
    let run = bin.run(&["nope.txt"]);
    run.assert_code(1);
    assert!(run.stderr.contains("nope.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
    let run = bin.run(&[]);
    run.assert_code(1);
    assert!(run.stderr.contains("urls.txt"), "{}", run.stderr);
}

#[test]
fn an_output_in_a_missing_directory_exits_1_naming_it() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let run = bin.run(&["urls.txt", "-o", "no/such/dir/out.tsv"]);
    run.assert_code(1);
    assert!(run.stderr.contains("no/such/dir/out.tsv"), "{}", run.stderr);
}

#[test]
fn bad_flags_exit_2() {
    let bin = Bin::new();
    bin.write("urls.txt", "");
    for args in [
        &["--concurrency", "0"][..],
        &["--nope"],
        &["--timeout", "soon"],
        &["--append", "--format", "dot"],
        &["--format", "xml"],
        &["--max-body", "lots"],
        &["--verbose", "--quiet"],
        &["--header-row", "--format", "jsonl"],
        &["--header-row", "--format", "dot"],
        &["--header-row", "--format", "graphml"],
    ] {
        let run = bin.run(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?} says why");
    }
    assert!(!bin.path("foundurls.txt").exists(), "nothing was run");
}

const OPTIONS: [&str; 31] = [
    "--output",
    "--format",
    "--header-row",
    "--append",
    "--keep-fragments",
    "--concurrency",
    "--timeout",
    "--connect-timeout",
    "--max-body",
    "--max-redirects",
    "--user-agent",
    "--depth",
    "--max-pages",
    "--max-pages-per-host",
    "--max-url-len",
    "--scope",
    "--include",
    "--exclude",
    "--sitemap",
    "--ignore-robots",
    "--host-concurrency",
    "--host-delay",
    "--retries",
    "--max-retry-after",
    "--block-private",
    "--resolve",
    "--verbose",
    "--quiet",
    "--no-progress",
    "--help",
    "--version",
];

#[test]
fn help_mentions_every_option_and_the_exit_codes() {
    let run = Bin::new().run(&["--help"]);
    run.assert_code(0);
    for option in OPTIONS {
        // The whole option, not a prefix of a longer one (`--max-pages-per-host`).
        let whole = run.stdout.match_indices(option).any(|(i, _)| {
            let next = run.stdout[i + option.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        assert!(whole, "--help does not mention {option}");
    }
    for code in ["130", "143"] {
        assert!(run.stdout.contains(code), "exit code {code}");
    }
}

#[test]
fn readme_options_block_matches_help() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- help start -->")
        .expect("a <!-- help start --> marker");
    let end = readme[start..]
        .find("<!-- help end -->")
        .map(|i| start + i)
        .expect("a <!-- help end --> marker");
    let section = &readme[start..end];
    let open = section
        .find("```")
        .expect("a fenced block after the marker");
    let body_start = open + section[open..].find('\n').expect("fence line") + 1;
    let close = section[body_start..]
        .find("```")
        .map(|i| body_start + i)
        .expect("the fence closes before the end marker");
    let block = &section[body_start..close];
    let run = Bin::new().run(&["--help"]);
    run.assert_code(0);
    assert_eq!(
        block.trim_end(),
        run.stdout.trim_end(),
        "README.md's options block differs from `crawl --help`"
    );
}

/// A site of `n` pages of 200 links each (`/m/<i>`); `slow` of every three take 20 s.
fn big_site(n: usize, slow: bool) -> TestServer {
    let page = fixture("site/many.html");
    let mut routes = Routes::new();
    for i in 0..n {
        let delay = if slow && i.is_multiple_of(3) {
            Duration::from_secs(20)
        } else {
            Duration::ZERO
        };
        routes = routes.route(
            format!("/m/{i}"),
            Reply::delayed(delay, Reply::html(page.clone())),
        );
    }
    TestServer::start(routes)
}

fn list(bin: &Bin, server: &TestServer, n: usize) {
    let urls: String = (0..n)
        .map(|i| format!("{}\n", server.url_str(&format!("/m/{i}"))))
        .collect();
    bin.write("urls.txt", urls);
}

#[test]
fn a_closed_stdout_pipe_is_a_normal_end() {
    let server = big_site(300, false);
    let bin = Bin::new();
    list(&bin, &server, 300);
    let mut child = bin
        .command(&["urls.txt", "-o", "-", "--ignore-robots"])
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read a line");
    assert!(first.contains('\t'), "{first:?}");
    // The reader (and the pipe) are gone now, like `| head -1`.
    let run = wait(child);
    run.assert_code(0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
}

pub(crate) fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// Every line is `source<TAB>target<LF>`, and each page's 200 links are all there.
fn assert_whole_pages(out: &str) -> usize {
    assert!(
        out.is_empty() || out.ends_with('\n'),
        "a cut line at the end"
    );
    let mut per_source = std::collections::HashMap::<&str, usize>::new();
    for line in out.lines() {
        assert_eq!(line.matches('\t').count(), 1, "{line:?}");
        let (source, _) = line.split_once('\t').expect("tab");
        *per_source.entry(source).or_default() += 1;
    }
    for (source, n) in &per_source {
        assert_eq!(*n, 200, "{source} written in part");
    }
    per_source.len()
}

fn interrupted_run(signal_name: &str, code: i32, to_file: bool) {
    let server = big_site(300, true);
    let bin = Bin::new();
    list(&bin, &server, 300);
    let mut args = vec![
        "urls.txt",
        "--ignore-robots",
        "-c",
        "16",
        "--host-concurrency",
        "16",
    ];
    if !to_file {
        args.extend(["-o", "-"]);
    }
    let mut child = bin.command(&args).spawn().expect("spawn");
    // Read stdout as it comes: a pipe nobody reads fills up and stops the writer,
    // and with it the crawl (a page is done only once its pairs are written).
    let stdout = reader(child.stdout.take());
    let pid = child.id();
    // Wait for the crawl to be well under way, with slow pages in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.total_hits() < 40 || server.in_flight() == 0 {
        assert!(Instant::now() < deadline, "the crawl did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(pid, signal_name);
    let run = wait(child);
    run.assert_code(code);
    let stdout = stdout.join().unwrap_or_default();
    let out = if to_file {
        bin.read("foundurls.txt")
    } else {
        stdout
    };
    let pages = assert_whole_pages(&out);
    assert!(pages < 300, "the crawl did not stop");
    assert!(
        run.stderr.contains("crawl interrupted"),
        "the summary: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // The notice names what fits the signal: Ctrl-C is not how SIGTERM came.
    let notice = if signal_name == "TERM" {
        "terminated: finishing pages already parsed (a second SIGTERM or Ctrl-C quits now)"
    } else {
        "interrupted: finishing pages already parsed (press Ctrl-C again to quit now)"
    };
    assert!(run.stderr.contains(notice), "{}", run.stderr);
}

#[test]
fn sigint_exits_130_with_whole_lines_and_the_summary() {
    interrupted_run("INT", 130, false);
}

#[test]
fn sigterm_exits_143_with_whole_lines_in_the_file() {
    interrupted_run("TERM", 143, true);
}
