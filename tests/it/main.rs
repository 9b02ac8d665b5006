//! The integration tests: one binary, with the shared helpers in `support`.
//!
//! Every HTTP test runs against an in-process server on loopback (`support::server`)
//! and nothing else; CLI tests run the real binary in a temporary directory.

mod support;

mod cancel;
mod charset;
mod classify;
mod cli;
mod cli_files;
mod cli_logs;
mod engine;
mod failures;
mod faults;
mod first_run;
mod graph;
mod hostile;
mod kinds;
mod limits;
mod list;
mod parse;
mod props;
mod records;
mod recursive;
mod redirects;
mod redis_frontier;
mod render;
mod render_procs;
mod report;
mod report_browser;
mod report_cdp;
mod requests;
mod resume;
mod retries;
mod robots;
mod security;
mod shared;
mod state;
mod status;
#[cfg(unix)]
mod terminal;
