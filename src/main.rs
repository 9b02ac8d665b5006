//! The `crawl` command line: options → [`Config`], logging, Ctrl-C, progress, exit codes.

mod cli;
mod logging;
mod report_cli;
mod verdict;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::time::Duration;

use clap::Parser;
use crawl::{CancellationToken, Crawler, Stats};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Cli;

/// mimalloc: html5ever allocates and frees many small objects per page, and glibc's
/// malloc took a tenth of the crawl's time; with mimalloc the crawl is about a fifth
/// faster (benches/README.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tells mimalloc not to commit whole arenas up front: same speed, a third of the
/// peak RSS on a crawl (about 25 MB instead of 60-75 MB). It must run before the first
/// allocation, when mimalloc reserves its first arena, so it is a constructor run by
/// the dynamic loader (`.init_array`), before the Rust runtime starts.
#[cfg(all(feature = "mimalloc", target_os = "linux"))]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

#[cfg(all(feature = "mimalloc", target_os = "linux"))]
extern "C" fn tune_allocator() {
    /// `mi_option_arena_eager_commit` in mimalloc 3's `mi_option_e`; libmimalloc-sys
    /// does not name it.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table (it
    // allocates nothing); any value is valid for this option, 0 meaning "commit
    // arena memory as it is used".
    unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
}

/// Exit codes, as documented in README.
mod exit {
    pub const OK: u8 = 0;
    pub const FATAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NOTHING_FETCHED: u8 = 3;
    pub const SIGINT: u8 = 130;
    pub const SIGTERM: u8 = 143;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(cli::Command::Report(args)) = &cli.command {
        return ExitCode::from(report_cli::run(args));
    }
    let config = match cli.to_config() {
        Ok(config) => config,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let pairs_to_terminal =
        matches!(config.output, crawl::Output::Stdout) && std::io::stdout().is_terminal();
    let progress = show_progress(&cli, std::io::stderr().is_terminal(), pairs_to_terminal)
        .then(new_progress_bar);
    logging::init(cli.verbose, cli.quiet, progress.clone());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            return ExitCode::from(exit::FATAL);
        }
    };
    let code = if cli.status {
        runtime.block_on(status(&config))
    } else {
        runtime.block_on(run(config, cli.quiet, progress))
    };
    // A browser whose last tab's task the runtime has not dropped yet goes now: no
    // Chromium process outlives crawl.
    #[cfg(feature = "render")]
    crawl::render::kill_all();
    // Do not wait for a blocking read of stdin that may never end.
    runtime.shutdown_background();
    ExitCode::from(code)
}

async fn run(config: crawl::Config, quiet: bool, progress: Option<ProgressBar>) -> u8 {
    let cancel = CancellationToken::new();
    let signal = tokio::spawn(watch_signals(cancel.clone(), progress.clone()));
    let shared = config.frontier.is_some();
    let crawler = match Crawler::new(config) {
        Ok(c) => c,
        // An option that cannot work (no browser for --render, an unusable proxy).
        Err(e @ crawl::Error::Config(_)) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            return exit::USAGE;
        }
        Err(e) => return fatal(&anyhow::Error::new(e).context("cannot start the crawl")),
    };
    let ticker = progress
        .clone()
        .map(|bar| tokio::spawn(tick(bar, crawler.stats())));
    let result = crawler.run_io(cancel).await;
    signal.abort();
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let signal_code = Some(SIGNAL_CODE.load(Relaxed)).filter(|&c| c != 0);
    match result {
        Ok(summary) => {
            if !quiet {
                let _ = writeln!(std::io::stderr(), "{summary}");
            }
            if let Some(code) = signal_code {
                return code;
            }
            if summary.panics > 0 {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: crawl panicked on {} pages (a bug: please report it)",
                    summary.panics
                );
                return exit::FATAL;
            }
            // Some pages failing is a normal crawl; none fetched at all is not. A
            // worker of a shared crawl may have fetched nothing while others did.
            if shared {
                return exit::OK;
            }
            match verdict::nothing_fetched(&summary) {
                Some(verdict) => {
                    let _ = writeln!(std::io::stderr(), "error: {verdict}");
                    exit::NOTHING_FETCHED
                }
                None => exit::OK,
            }
        }
        Err(e) if e.is_broken_pipe() => exit::OK,
        Err(e @ (crawl::Error::Mismatch { .. } | crawl::Error::SharedMismatch { .. })) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            exit::USAGE
        }
        Err(e) => fatal(&anyhow::Error::new(e)),
    }
}

/// `--status`: prints the shared crawl's counters.
async fn status(config: &crawl::Config) -> u8 {
    let (Some(target), Some(id)) = (&config.frontier, &config.crawl_id) else {
        let _ = writeln!(
            std::io::stderr(),
            "error: --status needs --frontier and --crawl-id"
        );
        return exit::USAGE;
    };
    match crawl::RedisFrontier::status_of(target, id).await {
        Ok(s) => {
            let state = if s.is_idle() {
                "idle (over, or not begun)"
            } else {
                "running"
            };
            let _ = write!(
                std::io::stdout(),
                "crawl {id}: {state}\n\
                 queued    {}\n\
                 retrying  {}\n\
                 leased    {}\n\
                 done      {}\n\
                 failed    {}\n\
                 skipped   {}\n\
                 expired   {}\n\
                 hosts     {}\n\
                 seen      {}\n",
                s.queued,
                s.retrying,
                s.leased,
                s.done,
                s.failed,
                s.skipped,
                s.expired,
                s.hosts,
                s.seen
            );
            exit::OK
        }
        Err(e) => fatal(&anyhow::Error::new(e)),
    }
}

fn fatal(e: &anyhow::Error) -> u8 {
    let _ = writeln!(std::io::stderr(), "error: {e:#}");
    exit::FATAL
}

/// Cancels on the first SIGINT or SIGTERM and returns the exit code it calls for; a
/// second signal exits at once.
async fn watch_signals(cancel: CancellationToken, progress: Option<ProgressBar>) -> u8 {
    let code = next_signal().await;
    SIGNAL_CODE.store(code, Relaxed);
    cancel.cancel();
    let message = if code == exit::SIGTERM {
        "terminated: finishing pages already parsed (a second SIGTERM or Ctrl-C quits now)"
    } else {
        "interrupted: finishing pages already parsed (press Ctrl-C again to quit now)"
    };
    let say = || {
        let _ = writeln!(std::io::stderr(), "{message}");
    };
    // On a line of its own, not after the bar: the bar is cleared, then redrawn below.
    match &progress {
        Some(bar) => bar.suspend(say),
        None => say(),
    }
    next_signal().await;
    // Exiting at once runs no destructors: the headless browsers go first.
    #[cfg(feature = "render")]
    crawl::render::kill_all();
    std::process::exit(i32::from(code));
}

#[cfg(unix)]
async fn next_signal() -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let Ok(mut term) = term else {
        let _ = tokio::signal::ctrl_c().await;
        return exit::SIGINT;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => exit::SIGINT,
        _ = term.recv() => exit::SIGTERM,
    }
}

#[cfg(not(unix))]
async fn next_signal() -> u8 {
    let _ = tokio::signal::ctrl_c().await;
    exit::SIGINT
}

/// The exit code the signal that cancelled the crawl calls for (0: none yet).
static SIGNAL_CODE: AtomicU8 = AtomicU8::new(0);

/// Whether to draw the progress bar: only on a terminal, not with `-q` or
/// `--no-progress`, and not when the pairs are written to a terminal too (`-o -` on
/// screen), where the bar's redraws would land among them.
fn show_progress(cli: &Cli, stderr_is_terminal: bool, pairs_to_terminal: bool) -> bool {
    stderr_is_terminal && !pairs_to_terminal && !cli.quiet && !cli.no_progress
}

fn new_progress_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

async fn tick(bar: ProgressBar, stats: Arc<Stats>) {
    let mut interval = tokio::time::interval(Duration::from_millis(200));
    loop {
        interval.tick().await;
        bar.set_message(format!(
            "{} done of {} requested, {} links",
            stats.done(),
            stats.requested(),
            stats.links_written()
        ));
        bar.tick();
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_bar_only_on_a_terminal_that_the_pairs_do_not_use() {
        let cli = |args: &[&str]| Cli::try_parse_from(args).expect("parses");
        let plain = cli(&["crawl"]);
        assert!(show_progress(&plain, true, false));
        assert!(
            !show_progress(&plain, false, false),
            "stderr not a terminal"
        );
        assert!(!show_progress(&plain, true, true), "pairs on the terminal");
        assert!(!show_progress(&cli(&["crawl", "-q"]), true, false));
        assert!(!show_progress(
            &cli(&["crawl", "--no-progress"]),
            true,
            false
        ));
    }
}
