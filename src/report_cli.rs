//! `crawl report PAGES.jsonl… -o FILE.html`: the HTML report of `--pages` files.

use std::io::Write;

use crate::cli::ReportArgs;
use crate::exit;

/// Builds and writes the report; returns the exit code.
pub fn run(args: &ReportArgs) -> u8 {
    crate::logging::init(args.verbose, args.quiet, None);
    let report = match crawl::report::report_from_files(&args.pages) {
        Ok(report) => report,
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    if report.is_empty() {
        let names: Vec<String> = args.pages.iter().map(|p| p.display().to_string()).collect();
        return fatal(&anyhow::anyhow!(
            "no record and no summary line in {}: is it a --pages file?",
            names.join(", ")
        ));
    }
    if let Err(e) = crawl::report::write_file(&report, &args.output) {
        if e.is_broken_pipe() {
            return exit::OK;
        }
        return fatal(&anyhow::Error::new(e));
    }
    if !args.quiet {
        let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
        let _ = writeln!(
            std::io::stderr(),
            "report: {} records from {} file(s), {} -> {} ({})",
            crawl::report::fmt::count(report.records),
            args.pages.len(),
            match report.state {
                crawl::report::State::Complete => "complete",
                crawl::report::State::Interrupted => "interrupted",
                crawl::report::State::Incomplete => "incomplete (no summary line)",
            },
            args.output.display(),
            crawl::report::fmt::bytes(size)
        );
    }
    exit::OK
}

fn fatal(e: &anyhow::Error) -> u8 {
    let _ = writeln!(std::io::stderr(), "error: {e:#}");
    exit::FATAL
}
