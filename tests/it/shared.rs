//! `--frontier redis://… --crawl-id NAME` (the binary, against real `redis-server`s):
//! several workers share one crawl of a multi-host site and together write what one
//! process writes, even when one of them is killed; politeness (`--host-delay`,
//! `--host-concurrency`, `Retry-After`) holds for all workers together, measured at
//! the test servers; a lost Redis is exit 1 with whole lines; workers with other
//! settings are refused; a worker may join with no URL list; and a Cluster works.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::bin::{Run, joined, reader};
use crate::support::redis::{RedisCluster, RedisServer, TlsRedisServer};
use crate::support::{Bin, HANG_GUARD, Reply, Routes, TestServer};

/// The loopback addresses of the site's three hosts.
const HOSTS: [&str; 3] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

/// Deep enough that every page of a site is within reach whatever path finds it
/// first (a site has fewer pages than this), so which pages are fetched does not
/// depend on the order the workers fetch them in.
const DEPTH: &str = "1000";

/// What a host answers a request with, given the host's index, the path and the
/// reply the site would give: the site's reply, or another.
type Twist = Arc<dyn Fn(usize, &str, Reply) -> Reply + Send + Sync>;

/// A generated site on three hosts. Host `h` has the pages `/p/0` to `/p/{n-1}`; page
/// `j` links to `/p/{2j+1}` and `/p/{2j+2}` of its own host (when they exist: a binary
/// tree from `/p/0` that reaches every page), to one page of the next host (`h+1`,
/// page `(7j+3) % n`: every page of that host is linked from one of this host's), and
/// every tenth page to `/private/j`, which robots.txt disallows.
struct Site {
    servers: Vec<TestServer>,
    pages: usize,
}

impl Site {
    /// The site, each page answered after `delay`.
    fn start(pages: usize, delay: Duration) -> Site {
        Self::twisted(pages, delay, Arc::new(|_, _, reply| reply))
    }

    /// The site, with `twist` deciding what each request is answered with.
    fn twisted(pages: usize, delay: Duration, twist: Twist) -> Site {
        let bases: Arc<Mutex<Vec<String>>> = Arc::default();
        let servers: Vec<TestServer> = HOSTS
            .iter()
            .enumerate()
            .map(|(host, ip)| {
                let bases = bases.clone();
                let twist = twist.clone();
                let private_twist = twist.clone();
                let routes = Routes::new()
                    .robots("User-agent: *\nDisallow: /private/\n")
                    .dynamic("/p/", move |path| {
                        let next = {
                            let bases = bases.lock().expect("the bases");
                            bases[(host + 1) % bases.len()].clone()
                        };
                        twist(host, path, page(pages, &next, path, delay))
                    })
                    .dynamic("/private/", move |path| {
                        private_twist(host, path, Reply::html("<html><body>private</body></html>"))
                    });
                TestServer::start_on(ip, routes)
            })
            .collect();
        bases
            .lock()
            .expect("the bases")
            .extend(servers.iter().map(|s| s.url_str("")));
        Site { servers, pages }
    }

    /// The URL list: each host's `/p/0`.
    fn urls_txt(&self) -> String {
        self.servers
            .iter()
            .map(|s| format!("{}\n", s.url_str("/p/0")))
            .collect()
    }

    /// Requests for pages of the tree (`/p/…`) received by every host together.
    fn page_hits(&self) -> u64 {
        self.servers
            .iter()
            .flat_map(|s| s.requests())
            .filter(|r| r.path.starts_with("/p/"))
            .count() as u64
    }
}

/// Page `/p/j` of a site of `pages` pages a host, whose next host is at `next`.
fn page(pages: usize, next: &str, path: &str, delay: Duration) -> Reply {
    let Some(j) = path
        .strip_prefix("/p/")
        .and_then(|j| j.parse::<usize>().ok())
        .filter(|&j| j < pages)
    else {
        return Reply::status(404, "no such page");
    };
    let mut links = Vec::new();
    for child in [2 * j + 1, 2 * j + 2] {
        if child < pages {
            links.push(format!("/p/{child}"));
        }
    }
    links.push(format!("{next}/p/{}", (7 * j + 3) % pages));
    if j % 10 == 5 {
        links.push(format!("/private/{j}"));
    }
    let body: String = links
        .iter()
        .map(|href| format!("<a href=\"{href}\">{href}</a>\n"))
        .collect();
    Reply::delayed(
        delay,
        Reply::html(format!(
            "<!doctype html>\n<html><body>\n{body}</body></html>\n"
        )),
    )
}

/// What `-v` logs for each page handed to the output (before its lease ends).
const WROTE: &str = "Wrote results for source URL: ";

/// A `crawl` process that may be killed, its pipes read as it writes them.
struct Worker {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    /// Pages it has logged (with `-v`) as handed to its output so far.
    wrote: Arc<AtomicUsize>,
}

impl Worker {
    fn spawn(bin: &Bin, args: &[&str]) -> Worker {
        let mut child = bin.command(args).spawn().expect("spawn crawl");
        let stdout = reader(child.stdout.take());
        let wrote = Arc::new(AtomicUsize::new(0));
        let pipe = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn({
            let wrote = wrote.clone();
            move || {
                let mut text = String::new();
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if line.contains(WROTE) {
                        wrote.fetch_add(1, SeqCst);
                    }
                    text.push_str(&line);
                    text.push('\n');
                }
                text
            }
        });
        Worker {
            child,
            stdout,
            stderr,
            wrote,
        }
    }

    /// Whether it has ended.
    fn ended(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_some()
    }

    /// SIGKILL, then how it ended.
    fn kill(mut self) -> Run {
        self.child.kill().expect("SIGKILL the worker");
        self.wait()
    }

    /// Waits for its end.
    ///
    /// # Panics
    ///
    /// When it has not ended within [`HANG_GUARD`].
    fn wait(mut self) -> Run {
        let mut stderr = Some(self.stderr);
        let status = crate::support::bin::wait_status(&mut self.child, || {
            format!(
                "a worker hung for {HANG_GUARD:?}; stderr:\n{}",
                joined(&mut stderr)
            )
        });
        Run {
            code: status.code(),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: joined(&mut stderr),
        }
    }
}

/// Line feeds in the file (0 when it does not exist yet).
fn lines_in(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count())
}

/// Waits (up to [`HANG_GUARD`]) until `ready` holds, polling every few milliseconds.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + HANG_GUARD;
    while !ready() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The whole lines of `text` (a killed writer's torn last line left out).
fn whole_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
        .collect()
}

/// Asserts `text` is whole `source<TAB>target` lines, none twice.
#[track_caller]
fn assert_whole_pairs(name: &str, text: &str) {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{name}: a torn last line: {:?}",
        text.rsplit('\n').next()
    );
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(
            fields.len() == 2 && fields.iter().all(|f| f.starts_with("http://")),
            "{name}: not a source<TAB>target line: {line:?}"
        );
        assert!(seen.insert(line), "{name}: a line written twice: {line:?}");
    }
}

/// Asserts the lines `got` are the lines `want`, as sets.
#[track_caller]
fn assert_same_set(got: &BTreeSet<&str>, want: &str, context: &str) {
    let want: BTreeSet<&str> = want.lines().collect();
    let missing: Vec<&str> = want.difference(got).take(5).copied().collect();
    let extra: Vec<&str> = got.difference(&want).take(5).copied().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} lines, {} expected; missing {} (first 5: {missing:?}); extra {} (first 5: \
         {extra:?}){context}",
        got.len(),
        want.len(),
        want.difference(got).count(),
        got.difference(&want).count(),
    );
}

/// The crawl's settings in these tests: recursive over the whole site, any host, plus
/// `extra`.
fn crawl_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["urls.txt", "--depth", DEPTH, "--scope", "any"];
    args.extend_from_slice(extra);
    args
}

/// `args`, as a worker of the crawl `id` at `frontier` writing `out`.
fn worker_args<'a>(args: &[&'a str], out: &'a str, frontier: &'a str, id: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(&["-o", out, "--frontier", frontier, "--crawl-id", id]);
    all
}

/// The output of one process crawling the site with `args` (no shared frontier).
fn reference(bin: &Bin, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend_from_slice(&["-o", "reference.txt"]);
    bin.run(&all).assert_code(0);
    let text = bin.read("reference.txt");
    assert_whole_pairs("reference.txt", &text);
    assert!(
        text.lines().count() > 10,
        "the reference crawl found little:\n{text}"
    );
    text
}

/// `crawl --status` of the crawl: its first line and its counters.
fn status(bin: &Bin, frontier: &str, id: &str) -> (String, HashMap<String, u64>) {
    let run = bin.run(&["--frontier", frontier, "--crawl-id", id, "--status"]);
    run.assert_code(0);
    let mut lines = run.stdout.lines();
    let head = lines.next().unwrap_or_default().to_owned();
    let counters = lines
        .filter_map(|l| {
            let (name, n) = l.split_once(char::is_whitespace)?;
            Some((name.to_owned(), n.trim().parse().ok()?))
        })
        .collect();
    (head, counters)
}

/// Asserts the crawl is over: `--status` says idle, nothing queued or leased, and
/// at least `done` requests done.
#[track_caller]
fn assert_over(bin: &Bin, frontier: &str, id: &str, done: u64) {
    let (head, n) = status(bin, frontier, id);
    assert_eq!(
        head,
        format!("crawl {id}: idle (over, or not begun)"),
        "{n:?}"
    );
    let get = |name: &str| {
        *n.get(name)
            .unwrap_or_else(|| panic!("--status prints no {name} counter: {n:?}"))
    };
    assert_eq!((get("queued"), get("leased")), (0, 0), "{n:?}");
    assert!(get("done") >= done, "done {} < {done}: {n:?}", get("done"));
    assert!(get("hosts") > 0 && get("seen") > 0, "{n:?}");
}

/// The output files' lines together.
fn union<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    texts.into_iter().flat_map(whole_lines).collect()
}

#[test]
fn three_workers_one_killed_write_together_what_one_process_writes() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(60, Duration::from_millis(30));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    // One request at a time to each host (for every worker together), so the crawl
    // takes a couple of seconds; a 2 s page deadline, so a dead worker's leases expire
    // after 12 s.
    let args = crawl_args(&["--host-concurrency", "1", "--timeout", "2s"]);
    let want = reference(&bin, &args);
    let reference_hits = site.page_hits();
    assert_eq!(
        reference_hits,
        3 * site.pages as u64,
        "the reference crawl fetched each page once"
    );

    let outs = ["w0.txt", "w1.txt", "w2.txt"];
    let mut workers: Vec<Worker> = outs
        .iter()
        .map(|out| {
            let mut all = worker_args(&args, out, &frontier, "killed");
            // One page at a time each (`-c` is a worker's own): a worker with room
            // for more takes a host's slot again as soon as it frees it, and could
            // leave the others nothing.
            all.extend_from_slice(&["-c", "1"]);
            // The one to kill logs each page it hands to its output: when to kill it,
            // and which pages it had when it died.
            if *out == "w2.txt" {
                all.push("-v");
            }
            Worker::spawn(&bin, &all)
        })
        .collect();
    // Killed once it has handed a few pages to its output (which it writes out in
    // batches: the file itself may still be empty).
    let deadline = Instant::now() + HANG_GUARD;
    while workers[2].wrote.load(SeqCst) < 5 {
        assert!(
            !workers[2].ended(),
            "the worker to kill ended before it wrote 5 pages: make the site slower"
        );
        assert!(
            Instant::now() < deadline,
            "the worker to kill wrote nothing"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let killed_at_hits = site.page_hits() - reference_hits;
    let victim_file_lines = lines_in(&bin.path("w2.txt"));
    let victim = workers.pop().expect("three workers").kill();
    assert_eq!(victim.code, None, "SIGKILL ended it");
    assert!(
        killed_at_hits < reference_hits * 3 / 4,
        "killed mid-crawl ({killed_at_hits} of {reference_hits} pages fetched)"
    );
    let survivors: Vec<Run> = workers.into_iter().map(Worker::wait).collect();
    for run in &survivors {
        run.assert_code(0);
    }

    let texts: Vec<String> = outs.iter().map(|out| bin.read(out)).collect();
    assert_whole_pairs("w0.txt", &texts[0]);
    assert_whole_pairs("w1.txt", &texts[1]);
    // Two live workers never fetch one page both (a page's lines are in one output).
    let (a, b): (BTreeSet<&str>, BTreeSet<&str>) =
        (texts[0].lines().collect(), texts[1].lines().collect());
    let both: Vec<&&str> = a.intersection(&b).take(5).collect();
    assert!(both.is_empty(), "pages written by both survivors: {both:?}");

    for server in &site.servers {
        assert!(
            server
                .requests()
                .iter()
                .all(|r| !r.path.starts_with("/private/")),
            "robots.txt holds for every worker"
        );
    }
    let pages = want
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect::<BTreeSet<_>>()
        .len() as u64;
    assert_over(&bin, &frontier, "killed", pages);

    // What the killed worker wrote before it died, and the pages it had finished
    // (for the message when lines are missing).
    let victim_lines = whole_lines(&texts[2]);
    let written_by_victim: BTreeSet<&str> = victim
        .stderr
        .lines()
        .filter_map(|l| l.split(WROTE).nth(1))
        .map(str::trim)
        .collect();
    let got = union(texts.iter().map(String::as_str));
    let want_set: BTreeSet<&str> = want.lines().collect();
    let missing_sources: BTreeSet<&str> = want_set
        .difference(&got)
        .filter_map(|l| l.split('\t').next())
        .collect();
    let lost_by_victim = missing_sources
        .iter()
        .filter(|s| written_by_victim.contains(*s))
        .count();
    // How often the shared crawl fetched each missing page (the reference fetched
    // each once).
    let fetched: Vec<(&str, u64)> = missing_sources
        .iter()
        .take(5)
        .map(|source| {
            let hits = site
                .servers
                .iter()
                .find_map(|server| {
                    let path = source.strip_prefix(&server.url_str(""))?;
                    Some(server.hits(path))
                })
                .unwrap_or(0);
            (*source, hits.saturating_sub(1))
        })
        .collect();
    assert_same_set(
        &got,
        &want,
        &format!(
            "\n{} pages have lines missing: {} of them the killed worker had handed to \
             its output ({} lines in its file when killed, {} at the end; {} pages it \
             logged as written); missing pages (first 5) and how often the shared crawl \
             fetched them: {fetched:?}",
            missing_sources.len(),
            lost_by_victim,
            victim_file_lines,
            victim_lines.len(),
            written_by_victim.len(),
        ),
    );
    // A page is in two outputs only when its worker died between writing it and
    // completing its lease: at most the pages it had in flight, one with `-c 1`.
    let survivors_sources: BTreeSet<&str> =
        a.union(&b).filter_map(|l| l.split('\t').next()).collect();
    let twice: BTreeSet<&str> = victim_lines
        .iter()
        .filter_map(|l| l.split('\t').next())
        .filter(|s| survivors_sources.contains(s))
        .collect();
    assert!(
        twice.len() <= 1,
        "pages written by the killed worker and a survivor: {twice:?}"
    );
}

/// Every gap between two request arrivals at each host of `site`, sorted by arrival.
fn gaps(server: &TestServer) -> Vec<(Duration, String)> {
    let mut requests = server.requests();
    requests.sort_by_key(|r| r.at);
    requests
        .windows(2)
        .map(|w| (w[1].at.duration_since(w[0].at), w[1].path.clone()))
        .collect()
}

/// Runs three workers of the crawl `id` with `args` to their end (each exits 0), each
/// with `-c concurrency`, and gives their outputs.
///
/// A worker with room for more requests takes a host's slot again as soon as it frees
/// it: with a small `-c` (a worker's own setting) one worker cannot hold every slot,
/// and the others get their share.
fn three_workers(
    bin: &Bin,
    args: &[&str],
    concurrency: &str,
    frontier: &str,
    id: &str,
) -> Vec<String> {
    let outs = ["w0.txt", "w1.txt", "w2.txt"];
    let workers: Vec<Worker> = outs
        .iter()
        .map(|out| {
            let mut all = worker_args(args, out, frontier, id);
            all.extend_from_slice(&["-c", concurrency]);
            Worker::spawn(bin, &all)
        })
        .collect();
    for worker in workers {
        worker.wait().assert_code(0);
    }
    outs.iter()
        .map(|out| {
            let text = bin.read(out);
            assert_whole_pairs(out, &text);
            text
        })
        .collect()
}

/// Asserts more than one worker fetched pages (so the politeness measured was held
/// across workers, not by one).
#[track_caller]
fn assert_shared(outputs: &[String]) {
    let busy = outputs.iter().filter(|t| !t.is_empty()).count();
    assert!(busy >= 2, "only {busy} of the workers fetched pages");
}

#[test]
fn the_host_delay_holds_for_all_workers_together() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(12, Duration::from_millis(5));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = crawl_args(&["--ignore-robots", "--host-delay", "200ms"]);
    let outputs = three_workers(&bin, &args, "1", &frontier, "delay");
    assert_shared(&outputs);
    for server in &site.servers {
        let gaps = gaps(server);
        assert!(gaps.len() >= 12, "{} requests", gaps.len() + 1);
        // A figure for the record (`--nocapture`), not an assertion on speed.
        if let Some((least, _)) = gaps.iter().min_by_key(|(gap, _)| *gap) {
            eprintln!(
                "{}: {} requests from 3 workers, least gap between two starts {least:?}",
                server.addr(),
                gaps.len() + 1
            );
        }
        let short: Vec<&(Duration, String)> = gaps
            .iter()
            .filter(|(gap, _)| *gap < Duration::from_millis(190))
            .collect();
        assert!(
            short.is_empty(),
            "{}: requests closer than --host-delay 200ms: {short:?}",
            server.addr()
        );
    }
    assert_over(&bin, &frontier, "delay", 36);
}

#[test]
fn the_host_concurrency_holds_for_all_workers_together() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(16, Duration::from_millis(150));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = crawl_args(&["--ignore-robots", "--host-concurrency", "2"]);
    let outputs = three_workers(&bin, &args, "2", &frontier, "slots");
    assert_shared(&outputs);
    for server in &site.servers {
        assert_eq!(
            server.own_max_in_flight(),
            2,
            "{}: most requests in flight at once, for --host-concurrency 2 (2 shows the \
             limit was reached)",
            server.addr()
        );
    }
}

#[test]
fn a_retry_after_holds_the_host_back_for_every_worker() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    // Host 0's /p/1 answers 429 with Retry-After: 1 the first time, then the page.
    let twist: Twist = Arc::new(|host, path, reply| {
        if host == 0 && path == "/p/1" {
            Reply::Sequence(vec![
                Reply::status(429, "slow down").header("Retry-After", "1"),
                reply,
            ])
        } else {
            reply
        }
    });
    let site = Site::twisted(12, Duration::from_millis(20), twist);
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    // One request at a time per host: the next request to host 0 after the 429 can
    // only start after the 429 was answered, and must then wait out the hold.
    let args = crawl_args(&[
        "--ignore-robots",
        "--host-concurrency",
        "1",
        "--retries",
        "2",
    ]);
    let outputs = three_workers(&bin, &args, "1", &frontier, "hold");
    assert_shared(&outputs);

    let host = &site.servers[0];
    assert_eq!(
        host.hits("/p/1"),
        2,
        "the 429 is retried once, then answered"
    );
    let held_at = host.arrivals("/p/1")[0];
    let mut requests = host.requests();
    requests.sort_by_key(|r| r.at);
    let after: Vec<(Duration, &str)> = requests
        .iter()
        .filter(|r| r.at > held_at)
        .map(|r| (r.at.duration_since(held_at), r.path.as_str()))
        .collect();
    assert!(
        after.len() >= 5,
        "host 0 had work left after the 429: {after:?}"
    );
    let early: Vec<&(Duration, &str)> = after
        .iter()
        .filter(|(gap, _)| *gap < Duration::from_millis(980))
        .collect();
    assert!(
        early.is_empty(),
        "requests to host 0 within Retry-After: 1 of the 429: {early:?}"
    );
    let source = host.url_str("/p/1");
    assert!(
        union(outputs.iter().map(String::as_str))
            .iter()
            .any(|l| l.starts_with(&format!("{source}\t"))),
        "the retried page's links are written"
    );
}

#[test]
fn losing_redis_mid_crawl_exits_1_naming_it_with_whole_lines() {
    let mut redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(40, Duration::from_millis(100));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = worker_args(
        &crawl_args(&["--host-concurrency", "2"]),
        "out.txt",
        &frontier,
        "lost",
    );
    let mut worker = Worker::spawn(&bin, &args);
    let out = bin.path("out.txt");
    let deadline = Instant::now() + HANG_GUARD;
    while lines_in(&out) < 3 {
        assert!(!worker.ended(), "the worker ended before Redis was killed");
        assert!(Instant::now() < deadline, "the worker wrote nothing");
        std::thread::sleep(Duration::from_millis(2));
    }
    redis.kill();
    let run = worker.wait();
    run.assert_code(1);
    let address = format!("127.0.0.1:{}", redis.port());
    assert!(
        run.stderr.contains(&address),
        "stderr names {address}:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let text = bin.read("out.txt");
    assert!(text.lines().count() >= 3, "{text}");
    assert_whole_pairs("out.txt", &text);
}

#[test]
fn workers_with_other_settings_are_refused_naming_the_setting() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(6, Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let base = [
        ("--depth", "2"),
        ("--scope", "host"),
        ("--host-delay", "0s"),
        ("--host-concurrency", "4"),
    ];
    let args_with = |changed: Option<(&'static str, &'static str)>, out: &'static str| {
        let mut args = vec!["urls.txt", "-o", out, "--frontier", &frontier];
        args.extend_from_slice(&["--crawl-id", "same"]);
        for (flag, value) in base {
            let value = match changed {
                Some((f, v)) if f == flag => v,
                _ => value,
            };
            args.extend_from_slice(&[flag, value]);
        }
        args
    };
    bin.run(&args_with(None, "first.txt")).assert_code(0);
    assert!(
        !bin.read("first.txt").is_empty(),
        "the first worker crawled"
    );
    for changed in [
        ("--depth", "3"),
        ("--scope", "any"),
        ("--host-delay", "10ms"),
        ("--host-concurrency", "3"),
    ] {
        let run = bin.run(&args_with(Some(changed), "other.txt"));
        run.assert_code(2);
        assert!(
            run.stderr.contains(changed.0),
            "stderr names {}:\n{}",
            changed.0,
            run.stderr
        );
    }
    // The same settings are welcome (the crawl is over: nothing left to do).
    bin.run(&args_with(None, "again.txt")).assert_code(0);
}

#[test]
fn frontier_without_crawl_id_exits_2() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://127.0.0.1:9/\n");
    // Nothing listens there: the check comes before any connection.
    let run = bin.run(&["urls.txt", "--frontier", "redis://127.0.0.1:9/0"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--crawl-id"), "{}", run.stderr);
}

#[test]
fn a_worker_with_no_url_list_joins_a_crawl_another_seeded() {
    let redis = RedisServer::start();
    let frontier = redis.url();
    let site = Site::start(20, Duration::from_millis(60));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = crawl_args(&["--host-concurrency", "1"]);
    let want = reference(&bin, &args);
    let before = site.page_hits();

    // The seeder fetches one page at a time (`-c` is the worker's own), so host slots
    // are left for the joiner to take.
    let mut seeder_args = worker_args(&args, "seeder.txt", &frontier, "join");
    seeder_args.extend_from_slice(&["-c", "1"]);
    let seeder = Worker::spawn(&bin, &seeder_args);
    wait_until("the seeder's first page request", || {
        site.page_hits() > before
    });
    // The joiner runs elsewhere: no urls.txt it could read by default.
    let elsewhere = Bin::new();
    let mut joiner_args: Vec<&str> = args.iter().copied().filter(|&a| a != "urls.txt").collect();
    joiner_args.extend_from_slice(&["-o", "joiner.txt", "--frontier", &frontier]);
    joiner_args.extend_from_slice(&["--crawl-id", "join"]);
    let joiner = Worker::spawn(&elsewhere, &joiner_args);
    let seeded = seeder.wait();
    let joined = joiner.wait();
    seeded.assert_code(0);
    joined.assert_code(0);
    let (a, b) = (bin.read("seeder.txt"), elsewhere.read("joiner.txt"));
    assert_whole_pairs("seeder.txt", &a);
    assert_whole_pairs("joiner.txt", &b);
    assert!(
        !b.is_empty(),
        "the joiner fetched pages; its stderr:\n{}",
        joined.stderr
    );
    assert_same_set(&union([a.as_str(), b.as_str()]), &want, "");
    assert_over(&bin, &frontier, "join", 60);
}

#[test]
fn two_workers_share_a_crawl_on_a_cluster() {
    let cluster = RedisCluster::start();
    let frontier = cluster.url();
    let site = Site::start(30, Duration::from_millis(10));
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = crawl_args(&["--host-concurrency", "2"]);
    let want = reference(&bin, &args);
    let workers: Vec<Worker> = ["c0.txt", "c1.txt"]
        .iter()
        .map(|out| Worker::spawn(&bin, &worker_args(&args, out, &frontier, "cluster")))
        .collect();
    let runs: Vec<Run> = workers.into_iter().map(Worker::wait).collect();
    for run in &runs {
        run.assert_code(0);
    }
    let (a, b) = (bin.read("c0.txt"), bin.read("c1.txt"));
    assert_whole_pairs("c0.txt", &a);
    assert_whole_pairs("c1.txt", &b);
    assert_same_set(&union([a.as_str(), b.as_str()]), &want, "");
    assert_over(&bin, &frontier, "cluster", 90);
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().sum::<u64>() > 0,
        "the crawl is in the Cluster: {keys:?}"
    );
}

/// `rediss://`: a worker crawls through a Redis that speaks only TLS, trusting its
/// certificate through `SSL_CERT_FILE` (the system's roots are read the same way).
#[test]
fn a_worker_crawls_through_redis_over_tls() {
    let redis = TlsRedisServer::start();
    let frontier = redis.url();
    let site = Site::start(10, Duration::ZERO);
    let bin = Bin::new();
    bin.write("urls.txt", site.urls_txt());
    let args = crawl_args(&[]);
    let want = reference(&bin, &args);
    let cert = redis.cert_file();
    let cert = cert.to_str().expect("a UTF-8 temporary path");
    let mut worker = worker_args(&args, "tls.txt", &frontier, "tls");
    worker.extend_from_slice(&["--resolve", "localhost=127.0.0.1"]);
    let run = crate::support::bin::wait(
        bin.command(&worker)
            .env("SSL_CERT_FILE", cert)
            .spawn()
            .expect("spawn crawl"),
    );
    run.assert_code(0);
    let got = bin.read("tls.txt");
    assert_whole_pairs("tls.txt", &got);
    assert_same_set(&union([got.as_str()]), &want, "");
    // Without the certificate trusted, the worker refuses the server.
    let run = bin.run(&worker_args(&args, "untrusted.txt", &frontier, "tls-2"));
    run.assert_code(1);
    assert!(
        run.stderr.contains("localhost"),
        "the error names the server: {}",
        run.stderr
    );
}
