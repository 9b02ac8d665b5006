//! Peak memory of the real `crawl` binary while every server misbehaves at once:
//! gzip bombs, 2 GiB bodies with and without `Content-Length`, trickles, and normal
//! pages, all listed together. The claim to check is that peak RSS stays near
//! concurrency × max-body, whatever the servers send.
//!
//! A second mix is of pages hostile to the parser, each under the body cap: eight
//! 10.35 MB pages of nested `<table><tr><td>`, 100,000 nested `<div>`s, 40,000
//! `<b id=N>`, 10.35 MB of `<p>` (an element every 3 bytes, the most a page may
//! build), and formatting elements rebuilt in each of 30,000 paragraphs.
//!
//! ```text
//! cargo bench --bench hostile_rss             # every mix
//! cargo bench --bench hostile_rss -- parse    # the baseline and the parse mix only
//! CRAWL_BIN=/path/to/old/crawl cargo bench --bench hostile_rss -- parse
//! ```
//!
//! `CRAWL_BIN` measures another build (an older commit's) the same way. A run still
//! going after [`KILL_AFTER`] is killed, and its peak RSS up to then is shown.
//!
//! Cargo builds `target/release/crawl` for it (the bench profile) and hands its path
//! in `CARGO_BIN_EXE_crawl`. Each configuration runs the binary as a child over the
//! same list and reads the child's peak RSS from `wait4`. The servers are the
//! integration tests' misbehaving server (`tests/it/support`), on loopback only.
//! It prints figures; it asserts nothing.

use std::io::Read;
use std::time::{Duration, Instant};

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use support::{Bin, Reply, Routes, TestServer, fixture};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// How many URLs of each kind are listed.
const BOMBS: usize = 16;
const BIG_WITH_LENGTH: usize = 8;
const BIG_WITHOUT_LENGTH: usize = 16;
const TRICKLES: usize = 8;
const NORMAL: usize = 200;

/// Nested-table pages in the parse mix (the default per-host concurrency).
const TABLES: usize = 8;

/// A run still going after this long is killed (an unbounded parse can take hours).
const KILL_AFTER: Duration = Duration::from_secs(120);

/// Every kind on its own loopback address (its own host), so the per-host limit can
/// be lifted to the global one and every slot can hold a hostile response.
struct Servers {
    bombs: TestServer,
    big: TestServer,
    trickles: TestServer,
    normal: TestServer,
    parse: TestServer,
}

/// The parse mix's pages: (path, body).
fn parse_pages() -> Vec<(String, String)> {
    let link = "<a href=/parsed>x</a>";
    // 690,000 × 15 bytes = 10.35 MB, under the 10 MiB (10.49 MB) cap.
    let tables = format!("{link}{}", "<table><tr><td>".repeat(690_000));
    let mut pages: Vec<(String, String)> = (0..TABLES)
        .map(|i| (format!("/tables/{i}"), tables.clone()))
        .collect();
    let n = 100_000;
    pages.push((
        "/deep".into(),
        format!("{link}{}{}", "<div>".repeat(n), "</div>".repeat(n)),
    ));
    let bs: String = (0..40_000).map(|i| format!("<b id={i}>")).collect();
    pages.push(("/b-ids".into(), format!("{link}{bs}")));
    let bs: String = (0..400).map(|i| format!("<b id={i}>")).collect();
    // The most elements a page may build without the tree builder multiplying them:
    // a `<p>` closes the one before, so 3 bytes are one element.
    pages.push(("/flat".into(), format!("{link}{}", "<p>".repeat(3_450_000))));
    pages.push((
        "/rebuilt".into(),
        format!("{link}<p>{bs}</p>{}", "<p>x</p>".repeat(30_000)),
    ));
    pages
}

impl Servers {
    fn start() -> Servers {
        let mut bombs = Routes::new();
        for i in 0..BOMBS {
            bombs = bombs.route(
                format!("/bomb/{i}"),
                Reply::GzipBomb {
                    expanded_len: 10 * GIB,
                },
            );
        }
        let mut big = Routes::new();
        for (prefix, n, content_length) in [
            ("/len", BIG_WITH_LENGTH, true),
            ("/close", BIG_WITHOUT_LENGTH, false),
        ] {
            for i in 0..n {
                big = big.route(
                    format!("{prefix}/{i}"),
                    Reply::Stream {
                        total_len: 2 * GIB,
                        content_type: "text/html".into(),
                        content_length,
                    },
                );
            }
        }
        let mut trickles = Routes::new();
        for i in 0..TRICKLES {
            trickles = trickles.route(
                format!("/t/{i}"),
                Reply::trickle(Duration::from_millis(100)),
            );
        }
        let page = fixture("site/many.html");
        let mut normal = Routes::new();
        for i in 0..NORMAL {
            normal = normal.route(format!("/n/{i}"), Reply::html(page.clone()));
        }
        let mut parse = Routes::new();
        for (path, body) in parse_pages() {
            parse = parse.route(path, Reply::html(body));
        }
        Servers {
            bombs: TestServer::start_on("127.0.0.2", bombs),
            big: TestServer::start_on("127.0.0.3", big),
            trickles: TestServer::start_on("127.0.0.4", trickles),
            normal: TestServer::start_on("127.0.0.5", normal),
            parse: TestServer::start_on("127.0.0.6", parse),
        }
    }

    /// The URL list: the hostile ones first, so they take every slot at once.
    fn list(&self, mix: Mix) -> String {
        let mut urls = Vec::new();
        if matches!(mix, Mix::All | Mix::Bombs) {
            urls.extend((0..BOMBS).map(|i| self.bombs.url_str(&format!("/bomb/{i}"))));
        }
        if matches!(mix, Mix::All | Mix::Bodies) {
            urls.extend((0..BIG_WITHOUT_LENGTH).map(|i| self.big.url_str(&format!("/close/{i}"))));
            urls.extend((0..BIG_WITH_LENGTH).map(|i| self.big.url_str(&format!("/len/{i}"))));
        }
        if matches!(mix, Mix::All) {
            urls.extend((0..TRICKLES).map(|i| self.trickles.url_str(&format!("/t/{i}"))));
        }
        if matches!(mix, Mix::Parse) {
            urls.extend(
                parse_pages()
                    .iter()
                    .map(|(path, _)| self.parse.url_str(path)),
            );
        }
        urls.extend((0..NORMAL).map(|i| self.normal.url_str(&format!("/n/{i}"))));
        urls.iter().map(|u| format!("{u}\n")).collect()
    }

    /// Body bytes the kernel accepted from the servers, over connections that ended.
    fn bytes_written(&self) -> u64 {
        [
            &self.bombs,
            &self.big,
            &self.trickles,
            &self.normal,
            &self.parse,
        ]
        .iter()
        .flat_map(|s| s.closed_conns())
        .map(|c| c.body_bytes)
        .sum()
    }
}

/// Which misbehaving servers a run lists (the normal pages always).
#[derive(Debug, Clone, Copy)]
enum Mix {
    /// Normal pages only: the baseline.
    Normal,
    /// The gzip bombs.
    Bombs,
    /// The 2 GiB bodies, with and without length.
    Bodies,
    /// Bombs, bodies and trickles together.
    All,
    /// Pages hostile to the parser.
    Parse,
}

impl Mix {
    fn name(self) -> &'static str {
        match self {
            Mix::Normal => "normal pages only",
            Mix::Bombs => "gzip bombs",
            Mix::Bodies => "2 GiB bodies",
            Mix::All => "all hostile at once",
            Mix::Parse => "hostile parses (8 nested tables of 10.35 MB, deep, flat, rebuilt)",
        }
    }
}

struct Measured {
    peak_rss: u64,
    elapsed: Duration,
    code: Option<i32>,
    summary: String,
}

/// Runs `crawl <args>` in `bin` and waits for it with `wait4`.
#[expect(clippy::zombie_processes, reason = "wait4 reaps the child")]
fn run(bin: &Bin, program: &str, args: &[&str]) -> Measured {
    let started = Instant::now();
    let cmd = bin.command(args);
    let mut child = std::process::Command::new(program)
        .args(cmd.get_args())
        .current_dir(cmd.get_current_dir().unwrap_or(std::path::Path::new(".")))
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn crawl");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    drop(child.stdout.take());
    let pid = child.id() as libc::pid_t;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The child's peak RSS is read from its own VmHWM, polled: `ru_maxrss` would
    // count this process's peak too, since a child spawned by vfork takes its
    // parent's high-water mark into its own at exec (and the parse mix's servers
    // hold 90 MB of pages here).
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let step = Duration::from_millis(10);
            let started = Instant::now();
            let mut peak = 0;
            loop {
                peak = peak.max(vm_hwm(pid).unwrap_or(0));
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    return (false, peak);
                }
                if started.elapsed() > KILL_AFTER {
                    // SAFETY: kill has no memory effects; the child is not reaped yet.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return (true, peak);
                }
                std::thread::sleep(step);
            }
        })
    };
    let mut status = 0;
    // SAFETY: wait4 writes only through the two pointers, both to valid locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // Wait for the exit without reaping, so the watchdog can read VmHWM to the end.
    // SAFETY: waitid writes only into `info`, a valid local.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (killed, polled_peak) = watchdog.join().unwrap_or((false, 0));
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    let elapsed = started.elapsed();
    let stderr = reader.join().unwrap_or_default();
    // The summary is the last lines: "crawl done: …" and what follows.
    let summary = stderr
        .find("crawl done")
        .or_else(|| stderr.find("error:"))
        .map(|i| stderr[i..].trim_end().to_owned())
        .unwrap_or_else(|| stderr.lines().last().unwrap_or("").to_owned());
    let summary = if killed {
        format!("killed after {KILL_AFTER:?}; {summary}")
    } else {
        summary
    };
    Measured {
        peak_rss: if polled_peak > 0 {
            polled_peak
        } else {
            // ru_maxrss is in KiB on Linux.
            usage.ru_maxrss as u64 * 1024
        },
        elapsed,
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        summary,
    }
}

/// The high-water mark of `pid`'s resident set, from `/proc/<pid>/status`.
fn vm_hwm(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

fn main() {
    // `cargo bench` passes `--bench`; `parse` runs the baseline and the parse mix.
    let only_parse = std::env::args().any(|a| a == "parse");
    let all = [
        (Mix::Normal, 32, 10 * MIB),
        (Mix::Bombs, 32, 10 * MIB),
        (Mix::Bodies, 32, 10 * MIB),
        (Mix::All, 32, 10 * MIB),
        (Mix::All, 8, 2 * MIB),
        (Mix::All, 32, 2 * MIB),
        (Mix::All, 8, 10 * MIB),
        (Mix::Parse, 32, 10 * MIB),
    ];
    let configs: Vec<_> = all
        .into_iter()
        .filter(|(mix, _, _)| !only_parse || matches!(mix, Mix::Normal | Mix::Parse))
        .collect();
    let crawl_bin =
        std::env::var("CRAWL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_crawl").to_owned());
    println!(
        "hostile_rss: {BOMBS} gzip bombs of 10 GiB, {BIG_WITHOUT_LENGTH} + {BIG_WITH_LENGTH} \
         bodies of 2 GiB (without / with Content-Length), {TRICKLES} trickles, {NORMAL} \
         normal pages; --timeout 5s --retries 0 --ignore-robots"
    );
    println!("binary: {crawl_bin}");
    println!();
    println!(
        "| servers | concurrency | max-body | c × max-body | peak RSS | RSS − baseline | (RSS − baseline) / product | server body bytes | time | exit |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // The first run (normal pages only) is the baseline: runtime, client, parser.
    let mut baseline = None;
    let mut summaries = Vec::new();
    for (mix, concurrency, max_body) in configs {
        let name = mix.name();
        // Fresh servers each time, so their byte counts are this run's.
        let servers = Servers::start();
        let bin = Bin::new();
        bin.write("urls.txt", servers.list(mix));
        let c = concurrency.to_string();
        let m = max_body.to_string();
        let measured = run(
            &bin,
            &crawl_bin,
            &[
                "urls.txt",
                "-o",
                "out.tsv",
                "--concurrency",
                &c,
                "--host-concurrency",
                &c,
                "--max-body",
                &m,
                "--timeout",
                "5s",
                "--retries",
                "0",
                "--ignore-robots",
            ],
        );
        // The child is gone, so are its sockets: let the servers see the ends.
        std::thread::sleep(Duration::from_millis(500));
        let product = concurrency as u64 * max_body;
        let base = *baseline.get_or_insert(measured.peak_rss);
        let above = measured.peak_rss.saturating_sub(base);
        println!(
            "| {name} | {concurrency} | {} | {} | {} | {} | {:.2} | {} | {:.1} s | {:?} |",
            mib(max_body),
            mib(product),
            mib(measured.peak_rss),
            mib(above),
            above as f64 / product as f64,
            mib(servers.bytes_written()),
            measured.elapsed.as_secs_f64(),
            measured.code,
        );
        summaries.push(format!(
            "{name}, -c {concurrency}, --max-body {}:\n{}",
            mib(max_body),
            measured.summary
        ));
    }
    println!();
    for s in summaries {
        println!("{s}\n");
    }
}
