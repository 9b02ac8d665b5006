//! The HTML report of a large crawl: build time, peak memory and page size of
//! `crawl report` over a synthetic pages file, and how long Chromium takes to open
//! the page.
//!
//! ```text
//! cargo bench --bench report                  # 1,000,000 records
//! REPORT_RECORDS=100000 cargo bench --bench report
//! ```
//!
//! The file (about 480 bytes a record: 20% of the records on one of 2,000 hosts,
//! 3% failures, 2% robots skips, 2% redirects, links to up to six hosts) is written to
//! a temporary directory and removed after. `crawl report` runs as a child, its peak
//! RSS read from `wait4`. The baseline, measured in the same run because this VM's
//! speed swings, is parsing the same file into `PageRecord`s in this process with no
//! aggregation: the report's CPU time as a ratio to it is what compares across runs
//! (wall time is printed too, but on a shared machine it is mostly waiting). It
//! prints figures; it asserts nothing.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../tests/it/report_cdp.rs"]
mod report_cdp;

const START_MS: u64 = 1_764_566_400_000;

/// xorshift64*: deterministic and fast.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `n` records and a summary line; returns the summary's page count.
fn generate(path: &Path, n: u64) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).expect("create pages file"));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut pages, mut failed, mut robots, mut bytes, mut links) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let span_ms = n * 2; // about 500 pages/s
    for i in 0..n {
        // Half the records on the first 20 hosts, the rest spread over 2,000.
        let host = if rng.below(2) == 0 {
            rng.below(20)
        } else {
            rng.below(2000)
        };
        let depth = (rng.unit() * rng.unit() * 9.0) as u32;
        let url = format!("http://h{host}.test/d{depth}/p{i}?q={}", rng.below(1000));
        let parent = if depth == 0 {
            "null".to_owned()
        } else {
            format!(
                "\"http://h{host}.test/d{}/p{}\"",
                depth - 1,
                rng.below(i.max(1))
            )
        };
        let started = START_MS + i * span_ms / n + rng.below(500);
        // Log-normal-ish response times around 20 ms.
        let elapsed = (3.0 + (rng.unit() - 0.5) * 3.0 + (rng.unit() - 0.5) * 2.0).exp();
        let r = rng.below(100);
        let (outcome, status, attempts, body, found) = match r {
            0..=2 => {
                failed += 1;
                let (reason, status) = [
                    ("client_error", "404"),
                    ("server_error", "500"),
                    ("timeout", "null"),
                    ("connect", "null"),
                ][rng.below(4) as usize];
                (
                    format!(r#""outcome":"failed","reason":"{reason}","message":"{reason}""#),
                    status,
                    1 + rng.below(2),
                    0,
                    0,
                )
            }
            3..=4 => {
                robots += 1;
                (
                    r#""outcome":"skipped","reason":"robots","message":"disallowed""#.to_owned(),
                    "null",
                    0,
                    0,
                    0,
                )
            }
            _ => {
                pages += 1;
                (
                    "\"outcome\":\"fetched\"".to_owned(),
                    "200",
                    1,
                    5_000 + rng.below(40_000),
                    10 + rng.below(80),
                )
            }
        };
        let mut link_hosts = String::new();
        if found > 0 {
            let targets = 1 + rng.below(6);
            let mut left = found;
            for t in 0..targets {
                let share = if t + 1 == targets { left } else { left / 2 };
                left -= share;
                if share > 0 {
                    let to = if t == 0 { host } else { rng.below(2500) };
                    let sep = if link_hosts.is_empty() { "" } else { "," };
                    link_hosts.push_str(&format!("{sep}\"h{to}.test\":{share}"));
                }
            }
        }
        let redirects = if r == 5 || r == 6 {
            format!(r#","redirects":["{url}/r1","{url}/r2"]"#)
        } else {
            String::new()
        };
        bytes += body;
        links += found;
        writeln!(
            out,
            r#"{{"url":"{url}","final_url":"{url}"{redirects},{outcome},"status":{status},"content_type":"text/html","bytes":{body},"links":{found},"link_hosts":{{{link_hosts}}},"depth":{depth},"parent":{parent},"kind":"page","attempts":{attempts},"started_ms":{started},"elapsed_ms":{elapsed:.3},"rendered":false,"crawl_delay_ms":null}}"#
        )
        .expect("write record");
    }
    writeln!(
        out,
        r#"{{"summary":{{"requested":{n},"pages":{pages},"robots_denied":{robots},"failures":{{"client_error":{failed}}},"links_written":{links},"body_bytes":{bytes},"elapsed_ms":{span_ms},"started_ms":{START_MS},"left_out":{{"depth":12345,"scope":67890}}}}}}"#
    )
    .expect("write summary");
    out.flush().expect("flush");
    pages
}

/// CPU time (user + system) of this process or of its waited-for children.
fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage writes only through the pointer, to a valid local.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Parses every record with no aggregation: the baseline. Returns its CPU time.
fn parse_only(path: &Path) -> (u64, Duration) {
    let started = cpu(libc::RUSAGE_SELF);
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path).expect("open"));
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).expect("read") == 0 {
            break;
        }
        if serde_json::from_slice::<crawl::PageRecord>(&line).is_ok() {
            n += 1;
        }
    }
    (n, cpu(libc::RUSAGE_SELF) - started)
}

/// Runs `crawl report` and returns (wall time, CPU time, peak RSS in bytes, stderr).
#[expect(clippy::zombie_processes, reason = "wait4 reaps the child")]
fn build(pages: &Path, html: &Path) -> (Duration, Duration, u64, String) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_crawl"))
        .arg("report")
        .arg(pages)
        .arg("-o")
        .arg(html)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn crawl");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes only through the two pointers, both to valid locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    (elapsed, cpu, usage.ru_maxrss as u64 * 1024, stderr)
}

/// Opens the report in headless Chromium (if there is one): time to the load event.
fn open_in_chromium(html: &Path) -> Option<Duration> {
    let browser = report_cdp::find()?;
    let mut c = report_cdp::Chromium::launch(&browser);
    c.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
    );
    let url = url::Url::from_file_path(html).ok()?.to_string();
    // Once to warm the browser up, then measured.
    c.open(&url);
    c.open("about:blank");
    let started = Instant::now();
    c.open(&url);
    Some(started.elapsed())
}

fn main() {
    let n: u64 = std::env::var("REPORT_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages.jsonl");
    let html = dir.path().join("report.html");
    let t = Instant::now();
    let fetched = generate(&pages, n);
    let file_size = std::fs::metadata(&pages).map_or(0, |m| m.len());
    println!(
        "report: {n} records ({fetched} pages), {:.0} MB pages file generated in {:.1} s",
        file_size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let (parsed, parse) = parse_only(&pages);
    assert_eq!(parsed, n, "every generated record parses");
    let (elapsed, cpu, rss, stderr) = build(&pages, &html);
    let size = std::fs::metadata(&html).map_or(0, |m| m.len());
    println!(
        "  baseline, parse only (in-process): {:.2} s CPU",
        parse.as_secs_f64()
    );
    println!(
        "  crawl report: {:.2} s wall, {:.2} s CPU ({:.2}x the parse), peak RSS {:.1} MiB, report {:.0} kB",
        elapsed.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / parse.as_secs_f64(),
        rss as f64 / (1u64 << 20) as f64,
        size as f64 / 1e3
    );
    print!("  {}", stderr);
    match open_in_chromium(&html) {
        Some(d) => println!(
            "  Chromium: navigation to load event {:.0} ms",
            d.as_secs_f64() * 1000.0
        ),
        None => println!("  Chromium: not found, not measured"),
    }
}
