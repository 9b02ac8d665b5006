//! Faults around the crawl, on the real binary: outputs that cannot be opened or
//! written, and URL lists full of bytes that are not URLs.
//!
//! Tests run as root, for whom permission bits do not stop a write: an unwritable
//! output is made from what refuses root too (a directory, a path under a regular
//! file, a read-only sysfs attribute, `/dev/full`).

use std::io::Read;
use std::process::Child;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::bin::Run;
use crate::support::{Bin, HANG_GUARD, Reply, Routes, TestServer, fixture};

const PAGE: &str = r#"<html><body><a href="/x">x</a> <a href="/y">y</a></body></html>"#;

/// A server with `/p/0` … `/p/<n-1>`, each the given page, and its list in `urls.txt`.
fn listed_site(bin: &Bin, n: usize, page: &[u8], delay: Duration) -> TestServer {
    let mut routes = Routes::new();
    for i in 0..n {
        routes = routes.route(
            format!("/p/{i}"),
            Reply::delayed(delay, Reply::html(page.to_vec())),
        );
    }
    let server = TestServer::start(routes);
    let list: String = (0..n)
        .map(|i| format!("{}\n", server.url_str(&format!("/p/{i}"))))
        .collect();
    bin.write("urls.txt", list);
    server
}

/// Asserts a fatal exit: code 1, one `error:` line naming `path` and `cause`, no panic.
#[track_caller]
fn assert_fatal(run: &Run, path: &str, cause: &str) {
    run.assert_code(1);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(errors[0].contains(path), "{path}: {}", run.stderr);
    assert!(errors[0].contains(cause), "{cause}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn an_output_that_is_a_directory_exits_1_naming_it_and_the_cause() {
    let bin = Bin::new();
    let server = listed_site(&bin, 1, PAGE.as_bytes(), Duration::ZERO);
    std::fs::create_dir(bin.path("out")).expect("mkdir");
    let run = bin.run(&["urls.txt", "-o", "out"]);
    assert_fatal(&run, "out", "Is a directory");
    // Checked before any request.
    assert_eq!(server.total_hits(), 0);
}

#[test]
fn an_output_in_a_missing_directory_exits_1_naming_it_and_the_cause() {
    let bin = Bin::new();
    let server = listed_site(&bin, 1, PAGE.as_bytes(), Duration::ZERO);
    let run = bin.run(&["urls.txt", "-o", "no/such/dir/out.tsv"]);
    assert_fatal(&run, "no/such/dir/out.tsv", "No such file or directory");
    assert_eq!(server.total_hits(), 0);
}

#[test]
fn an_output_under_a_regular_file_exits_1_naming_it_and_the_cause() {
    let bin = Bin::new();
    let server = listed_site(&bin, 1, PAGE.as_bytes(), Duration::ZERO);
    let run = bin.run(&["urls.txt", "-o", "urls.txt/out.tsv"]);
    assert_fatal(&run, "urls.txt/out.tsv", "Not a directory");
    assert_eq!(server.total_hits(), 0);
}

#[test]
fn an_output_that_refuses_root_exits_1_naming_it_and_the_cause() {
    // A read-only sysfs attribute: opening it for writing fails even for root.
    let path = "/sys/kernel/notes";
    assert!(
        std::path::Path::new(path).exists(),
        "{path} is missing: this test needs a mounted sysfs"
    );
    let bin = Bin::new();
    let server = listed_site(&bin, 1, PAGE.as_bytes(), Duration::ZERO);
    let run = bin.run(&["urls.txt", "-o", path]);
    assert_fatal(&run, path, "Permission denied");
    assert_eq!(server.total_hits(), 0);
}

#[test]
fn a_full_filesystem_mid_run_exits_1_and_stops_the_crawl() {
    // 300 pages of 200 links, 20 ms each, four at a time: the first 64 KiB of output
    // (a handful of pages) is written long before the list is done, and fails.
    let bin = Bin::new();
    let page = fixture("site/many.html");
    let n = 300;
    let server = listed_site(&bin, n, &page, Duration::from_millis(20));
    let run = bin.run(&["urls.txt", "-o", "/dev/full", "--ignore-robots", "-c", "4"]);
    assert_fatal(&run, "/dev/full", "No space left on device");
    let hits = server.total_hits();
    eprintln!("faults: /dev/full: the crawl stopped after {hits} of {n} requests");
    assert!(
        hits < n as u64,
        "the crawl went on to the end ({hits} requests) after its output failed"
    );
}

/// `crawl <args>` in `bin`'s directory, waited for with `wait4` so its peak RSS is
/// known (KiB); killed after [`HANG_GUARD`].
fn run_measured(bin: &Bin, args: &[&str]) -> (Run, i64) {
    let mut child = bin.command(args).spawn().expect("spawn crawl");
    let stdout = reader(&mut child, true);
    let stderr = reader(&mut child, false);
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + HANG_GUARD;
    let (status, rusage) = loop {
        let mut status = 0;
        // SAFETY: wait4 only writes to the two out-pointers, both valid locals.
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut rusage) };
        assert!(got >= 0, "wait4: {}", std::io::Error::last_os_error());
        if got == pid {
            break (status, rusage);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("crawl hung for {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let run = Run {
        code,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    (run, rusage.ru_maxrss)
}

fn reader(child: &mut Child, out: bool) -> JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if out {
        Box::new(child.stdout.take().expect("stdout"))
    } else {
        Box::new(child.stderr.take().expect("stderr"))
    };
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Whether some stderr line names `urls.txt:<line>` and contains `cause`.
fn warned(run: &Run, line: u64, cause: &str) -> bool {
    let at = format!("urls.txt:{line}:");
    run.stderr
        .lines()
        .any(|l| l.starts_with("warning:") && l.contains(&at) && l.contains(cause))
}

#[test]
fn bad_bytes_in_the_list_are_warned_by_line_and_the_good_lines_crawled() {
    let bin = Bin::new();
    let server = TestServer::start(
        Routes::new()
            .route("/a", Reply::html(PAGE))
            .route("/b", Reply::html(PAGE)),
    );
    let mut list = Vec::new();
    list.extend_from_slice(format!("{}\n", server.url_str("/a")).as_bytes()); // 1
    list.extend_from_slice(b"http://bad.test/\xff\xfe\n"); // 2: not UTF-8
    list.extend_from_slice(b"\xc3\x28 lone continuation\n"); // 3: not UTF-8
    list.extend_from_slice(format!("{}\0/x\n", server.url_str("/a")).as_bytes()); // 4: NUL
    list.extend_from_slice(b"\0\0\0\0\n"); // 5: only NULs
    list.extend_from_slice(b"http://"); // 6: a 1 MB line
    list.extend(std::iter::repeat_n(b'a', 1 << 20));
    list.push(b'\n');
    list.extend_from_slice(b"\r\n"); // 7: blank
    list.extend_from_slice(format!("{}\r\n", server.url_str("/b")).as_bytes()); // 8
    bin.write("urls.txt", &list);
    let (run, rss) = run_measured(&bin, &["urls.txt", "-o", "-", "--ignore-robots"]);
    eprintln!("faults: bad bytes: peak RSS {rss} KiB");
    run.assert_code(0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for (line, cause) in [
        (2, "not valid UTF-8"),
        (3, "not valid UTF-8"),
        (4, "contains a NUL byte"),
        (5, "contains a NUL byte"),
        (6, "line of 1048583 bytes is longer than 65536"),
    ] {
        assert!(warned(&run, line, cause), "line {line}: {}", run.stderr);
    }
    let warnings = run.stderr.lines().filter(|l| l.starts_with("warning:"));
    assert_eq!(warnings.count(), 5, "{}", run.stderr);
    // A warning shows at most 200 characters of its line, not a megabyte.
    assert!(
        run.stderr.len() < 8 * 1024,
        "{} bytes of stderr",
        run.stderr.len()
    );
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    lines.sort_unstable();
    let mut want = Vec::new();
    for page in ["/a", "/b"] {
        for target in ["/x", "/y"] {
            want.push(format!(
                "{}\t{}",
                server.url_str(page),
                server.url_str(target)
            ));
        }
    }
    assert_eq!(lines, want);
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 1));
    assert!(
        run.stderr
            .contains("2 listed, 5 bad input lines, 0 duplicates"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_million_line_list_is_read_with_its_bad_lines_reported() {
    // 20 real URLs, then 999,980 lines that are comments, blanks, duplicates of them,
    // and one bad line in a thousand: the crawl itself stays 20 pages.
    let bin = Bin::new();
    let n_real = 20;
    let mut routes = Routes::new();
    for i in 0..n_real {
        routes = routes.route(format!("/m/{i}"), Reply::html(PAGE));
    }
    let server = TestServer::start(routes);
    let total = 1_000_000usize;
    let mut list = String::with_capacity(total * 30);
    let (mut bad, mut dups) = (Vec::new(), 0u64);
    for i in 0..total {
        if i < n_real {
            list.push_str(&server.url_str(&format!("/m/{i}")));
        } else if i % 1000 == 0 {
            bad.push(i as u64 + 1);
            list.push_str(&format!("not a url {i}"));
        } else {
            match i % 3 {
                0 => list.push_str("# a comment"),
                1 => {
                    dups += 1;
                    list.push_str(&server.url_str(&format!("/m/{}", i % n_real)));
                }
                _ => {}
            }
        }
        list.push('\n');
    }
    bin.write("urls.txt", &list);
    let started = Instant::now();
    let (run, rss) = run_measured(&bin, &["urls.txt", "-o", "-", "--ignore-robots"]);
    eprintln!(
        "faults: 1,000,000 lines ({} MB): peak RSS {rss} KiB, {:.2} s",
        list.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    run.assert_code(0);
    assert!(
        !run.stderr.contains("panicked"),
        "{}",
        &run.stderr[..2000.min(run.stderr.len())]
    );
    assert_eq!(run.stdout.lines().count(), 2 * n_real, "two links a page");
    for i in 0..n_real {
        assert_eq!(server.hits(&format!("/m/{i}")), 1, "/m/{i} once");
    }
    let warnings = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .count();
    assert_eq!(warnings, bad.len());
    for line in [bad[0], bad[bad.len() / 2], bad[bad.len() - 1]] {
        assert!(
            warned(&run, line, "not an absolute URL"),
            "line {line} is not named"
        );
    }
    let counts = format!(
        "{n_real} listed, {} bad input lines, {dups} duplicates",
        bad.len()
    );
    assert!(
        run.stderr.contains(&counts),
        "{counts}: {}",
        run.stderr.lines().last().unwrap_or("")
    );
}
