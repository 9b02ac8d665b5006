//! The binary's tracing subscriber: `warning: <url>: <reason>` lines on stderr, drawn
//! around the progress bar when there is one.

use std::fmt;
use std::io::{IsTerminal, Write};

use indicatif::ProgressBar;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// Installs the subscriber. By default only crawl's own events are shown (`-q` errors,
/// then warnings, `-v` per-page lines, `-vv` debug); `-vvv` shows everything at trace,
/// other crates' logs included. `RUST_LOG`, when set, replaces the level chosen by the
/// flags. Colours only on a terminal, and never with `NO_COLOR` set.
pub fn init(verbose: u8, quiet: bool, bar: Option<ProgressBar>) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbose, quiet)));
    let no_color = std::env::var_os("NO_COLOR");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(use_color(
            std::io::stderr().is_terminal(),
            no_color.as_deref(),
        ))
        .event_format(Plain)
        .with_writer(Stderr { bar })
        .init();
}

/// The filter the flags ask for. Other crates' events (rustls-platform-verifier logs
/// every certificate it rejects at error level, which crawl already reports as a TLS
/// failure of the page) stay out below `-vvv`.
fn default_filter(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "crawl=error",
        (false, 0) => "crawl=warn",
        (false, 1) => "crawl=info",
        (false, 2) => "crawl=debug",
        _ => "trace",
    }
}

/// Colour codes only for a terminal, and not when `NO_COLOR` is set to anything but
/// the empty string (<https://no-color.org>).
fn use_color(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `level: message`, with the page's span fields at debug and trace.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        let label = match level {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{label}: ")?;
        if level >= Level::DEBUG
            && let Some(scope) = ctx.event_scope()
        {
            for span in scope.from_root() {
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "[{fields}] ")?;
                }
            }
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Stderr, one whole line at a time, hiding the progress bar while it writes.
#[derive(Clone)]
struct Stderr {
    bar: Option<ProgressBar>,
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            bar: self.bar.clone(),
            buf: Vec::with_capacity(128),
        }
    }
}

struct Line {
    bar: Option<ProgressBar>,
    buf: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let write = || {
            // A closed stderr must not take the crawl down.
            let _ = std::io::stderr().lock().write_all(&self.buf);
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_color(true, None));
        assert!(use_color(true, Some(OsStr::new(""))));
        assert!(!use_color(true, Some(OsStr::new("1"))));
        assert!(!use_color(false, None));
    }

    #[test]
    fn other_crates_are_heard_only_at_trace() {
        for (verbose, quiet) in [(0, true), (0, false), (1, false), (2, false)] {
            let filter = default_filter(verbose, quiet);
            assert!(filter.starts_with("crawl="), "{filter}");
            assert!(!filter.contains(','), "{filter}");
        }
        assert_eq!(default_filter(3, false), "trace");
    }
}
