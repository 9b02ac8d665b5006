//! benchsite: a deterministic synthetic website served from memory on
//! loopback, for crawl's benchmarks (see `benches/README.md`).

mod check;
mod rng;
mod server;
mod site;

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use site::{DEFAULT_SEED, Site};

const USAGE: &str = "\
benchsite: a deterministic synthetic website served from memory on loopback

Usage: benchsite [OPTIONS]

Generates PAGES pages of about 20 KB and 75 links each (relative, ../,
root-relative, absolute, query, fragment, external, mailto:, tel:; about 1% to
404s), then serves them over HTTP/1.1 keep-alive on 127.0.0.1. The first line
on stdout, printed once the site is ready, is `listening on 127.0.0.1:PORT`.
SIGINT or SIGTERM stops the server and prints the request counters on stderr;
GET /_benchsite/stats prints them at any time (these requests are not counted).

Options:
  --pages N      pages to generate, at least 1 [default: 20000]
  --port P       port on 127.0.0.1; 0 picks a free one [default: 0]
  --threads T    tokio worker threads serving requests [default: 1]
  --urls FILE    write the URL of every page, one a line, before serving
  --seed S       generator seed, decimal or 0x-hex [default: 0x5eedc4a1]
  --check        generate, verify the site (sizes, links, every page reachable
                 from /, a digest of all bytes) and exit, without serving;
                 absolute links use --port (0 unless given)
  -h, --help     print this help
";

struct Args {
    pages: u32,
    port: u16,
    threads: usize,
    urls: Option<PathBuf>,
    seed: u64,
    check: bool,
    help: bool,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            pages: 20_000,
            port: 0,
            threads: 1,
            urls: None,
            seed: DEFAULT_SEED,
            check: false,
            help: false,
        };
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name.to_owned(), Some(value.to_owned()))
                }
                _ => (arg, None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match name.as_str() {
                "--pages" => parsed.pages = number(&value("--pages")?, "--pages")?,
                "--port" => parsed.port = number(&value("--port")?, "--port")?,
                "--threads" => parsed.threads = number(&value("--threads")?, "--threads")?,
                "--urls" => parsed.urls = Some(PathBuf::from(value("--urls")?)),
                "--seed" => {
                    let v = value("--seed")?;
                    parsed.seed = match v.strip_prefix("0x") {
                        Some(hex) => u64::from_str_radix(hex, 16).ok(),
                        None => v.parse().ok(),
                    }
                    .ok_or_else(|| format!("--seed: not a number: {v}"))?;
                }
                "--check" => parsed.check = true,
                "-h" | "--help" => parsed.help = true,
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        if parsed.pages == 0 {
            return Err("--pages must be at least 1".into());
        }
        if parsed.threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        Ok(parsed)
    }
}

fn number<T: std::str::FromStr>(value: &str, name: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name}: not a valid number: {value}"))
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("benchsite: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("benchsite: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let generator_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if args.check {
        let origin = format!("http://127.0.0.1:{}", args.port);
        let site = Site::generate(args.pages, &origin, args.seed, generator_threads);
        let good = check::run(&site, args.seed);
        return Ok(if good {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }

    // Bind first: absolute links need the port, and clients that connect
    // while the site is generated wait in the backlog.
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))
        .map_err(|e| format!("bind 127.0.0.1:{}: {e}", args.port))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let started = Instant::now();
    let origin = format!("http://127.0.0.1:{port}");
    let site = Arc::new(Site::generate(
        args.pages,
        &origin,
        args.seed,
        generator_threads,
    ));
    if let Some(path) = &args.urls {
        write_urls(&site, path).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    eprintln!(
        "benchsite: {} pages, {} bytes, generated in {:.1}s; from /: {} URLs answer 200 ({} query \
         variants), {} answer 404, depth {}",
        site.pages(),
        site.total_bytes,
        started.elapsed().as_secs_f64(),
        site.reach.ok,
        site.reach.query_variants,
        site.reach.not_found,
        site.reach.depth
    );

    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
        // Ready: tell whoever started us, and make sure it is not buffered.
        println!("listening on 127.0.0.1:{port}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        server::serve(listener, site)
            .await
            .map_err(|e| e.to_string())
    })?;
    // Exit without freeing gigabytes of pages one by one.
    std::process::exit(0)
}

fn write_urls(site: &Site, path: &PathBuf) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for n in 0..site.pages() {
        writeln!(out, "{}", site.page_url(n))?;
    }
    out.flush()
}
