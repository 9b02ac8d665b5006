//! The parser's ceiling on this machine: how many pages a second crawl's own decode
//! and extraction (html5ever through scraper, then the URL resolution) get through on
//! 1 and on 2 threads, with the pages already in memory and no network at all.
//!
//! No crawler that keeps scraper can fetch and extract faster than this on the same
//! cores, so `benches/run.sh` runs it in every round, beside the crawls, and reports
//! the crawls as a share of it.
//!
//! ```text
//! cargo bench --bench ceiling -- URLS_FILE [--sample N] [--rounds R]
//! cargo bench --bench ceiling -- --fetch-only URLS_FILE [--concurrency C]
//! ```
//!
//! URLS_FILE lists the pages of a running site (benchsite's `--urls`); every k-th of
//! them is fetched once, untimed, so that about N pages (default 2000) are held.
//! After one untimed pass, each thread decodes and extracts every held page, R times
//! (default 2); the figure is the pages all threads together handled per second of
//! wall time, the median of 3 such runs. It prints `ceiling_threads_<T> <pages/s>`
//! lines, for the script to read.
//!
//! `--fetch-only` is the other half: it fetches every URL of the file with crawl's own
//! client and fetch path (`crawl::fetch`, the same settings, C requests at a time on a
//! runtime with a worker per core, as the crawler runs) and reads each body whole, but
//! parses nothing and writes nothing. Run under `/usr/bin/time` beside the server's
//! counters, it gives what fetching alone costs a page in CPU.
//!
//! It uses the `crawl` binary's allocator (mimalloc, unless built without the default
//! features), so the figure is what the binary's parser can do.

use std::time::Instant;

use crawl::extract::{ExtractOptions, extract_links};
use url::Url;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A fetched page: what the crawler's worker has when it starts to extract.
struct Page {
    url: Url,
    content_type: Option<String>,
    body: bytes::Bytes,
}

fn usage() -> ! {
    eprintln!("usage: ceiling URLS_FILE [--sample N] [--rounds R]");
    eprintln!("       ceiling --fetch-only URLS_FILE [--concurrency C]");
    std::process::exit(2);
}

fn main() {
    if let Err(e) = run() {
        eprintln!("ceiling: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut file = None;
    let mut sample = 2000usize;
    let mut rounds = 2usize;
    let mut fetch_only = false;
    let mut concurrency = 64usize;
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> usize {
            match args.next().map(|v| v.parse::<usize>()) {
                Some(Ok(n)) if n > 0 => n,
                _ => {
                    eprintln!("ceiling: {what} needs a positive number");
                    usage()
                }
            }
        };
        match arg.as_str() {
            "--sample" => sample = number("--sample"),
            "--rounds" => rounds = number("--rounds"),
            "--concurrency" => concurrency = number("--concurrency"),
            "--fetch-only" => fetch_only = true,
            _ if file.is_none() && !arg.starts_with('-') => file = Some(arg),
            _ => usage(),
        }
    }
    let Some(file) = file else { usage() };
    if fetch_only {
        let (pages, bytes) = fetch_all(&file, concurrency)?;
        println!("fetched {pages} pages, {bytes} bytes");
        return Ok(());
    }
    let pages = fetch_sample(&file, sample)?;
    let bytes: usize = pages.iter().map(|p| p.body.len()).sum();
    println!("pages_held {} ({:.1} MB)", pages.len(), bytes as f64 / 1e6);
    // One untimed pass first: the allocator's heaps and the caches warm up.
    pages_per_second(&pages, 1, 1);
    for threads in [1, 2] {
        let mut runs: Vec<f64> = (0..3)
            .map(|_| pages_per_second(&pages, threads, rounds))
            .collect();
        runs.sort_by(f64::total_cmp);
        println!("ceiling_threads_{threads} {:.0}", runs[1]);
    }
    Ok(())
}

/// The URLs of `file`, one a line (benchsite's `--urls` list).
fn read_urls(file: &str) -> Result<Vec<Url>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| Url::parse(l).map_err(|e| format!("{file}:{n}: {l}: {e}")))
        .collect()
}

/// crawl's own fetcher, as the crawler builds it for `concurrency`.
fn fetcher(concurrency: usize) -> Result<crawl::fetch::Fetcher, String> {
    let config = crawl::Config::builder()
        .concurrency(concurrency)
        .host_concurrency(concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    crawl::fetch::Fetcher::new(&config).map_err(|e| e.to_string())
}

/// Fetches every k-th URL of `file`, so that about `sample` pages are held.
fn fetch_sample(file: &str, sample: usize) -> Result<Vec<Page>, String> {
    let urls = read_urls(file)?;
    let step = urls.len().div_ceil(sample).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async {
        let fetcher = fetcher(1)?;
        let mut pages = Vec::new();
        for url in urls.into_iter().step_by(step) {
            let hop = fetcher.hop(&url).await;
            let Ok(crawl::fetch::Hop::Final(response)) = hop else {
                continue;
            };
            let content_type = crawl::fetch::content_type(&response).map(str::to_owned);
            let body = fetcher
                .read_body(response, None, false)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            pages.push(Page {
                url,
                content_type,
                body,
            });
        }
        if pages.is_empty() {
            return Err(format!("{file}: no page answered 200"));
        }
        Ok(pages)
    })
}

/// Fetches every URL of `file`, `concurrency` at a time, with crawl's client and
/// fetch path; returns the pages answered 2xx and the body bytes read.
fn fetch_all(file: &str, concurrency: usize) -> Result<(usize, usize), String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let urls = read_urls(file)?;
    let fetcher = fetcher(concurrency)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let shared = Arc::new((fetcher, urls, AtomicUsize::new(0)));
    runtime.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                let (fetcher, urls, next) = &*shared;
                let (mut pages, mut bytes) = (0, 0);
                while let Some(url) = urls.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Ok(crawl::fetch::Hop::Final(response)) = fetcher.hop(url).await
                        && let Ok(body) = fetcher.read_body(response, None, false).await
                    {
                        pages += 1;
                        bytes += body.len();
                    }
                }
                (pages, bytes)
            });
        }
        let (mut pages, mut bytes) = (0, 0);
        while let Some(done) = tasks.join_next().await {
            let (p, b) = done.map_err(|e| format!("fetch task: {e}"))?;
            pages += p;
            bytes += b;
        }
        Ok((pages, bytes))
    })
}

/// Decodes and extracts every page `rounds` times on each of `threads` threads, as the
/// crawler's worker does, and returns the pages handled per second of wall time.
fn pages_per_second(pages: &[Page], threads: usize, rounds: usize) -> f64 {
    let start = Instant::now();
    let links: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut links = 0;
                    for _ in 0..rounds {
                        for page in pages {
                            links += extract(page);
                        }
                    }
                    links
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .sum()
    });
    let elapsed = start.elapsed().as_secs_f64();
    std::hint::black_box(links);
    (pages.len() * rounds * threads) as f64 / elapsed
}

/// The worker's extraction step for one page (`worker.rs`): sniff and decode, then
/// extract with the document's encoding.
fn extract(page: &Page) -> usize {
    let (text, encoding, _) =
        crawl::charset::sniff(&page.body, page.content_type.as_deref()).decode(&page.body);
    let opts = ExtractOptions {
        keep_fragments: false,
        encoding: Some(encoding),
    };
    extract_links(&page.url, &text, opts).len()
}
