//! `--pages` files in, a [`Report`] out: the same [`Aggregator`] the live crawl feeds,
//! fed from JSON Lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::aggregate::{Aggregator, Inputs};
use super::model::Report;
use super::summary::{ReportSummary, SummaryLine, combine};
use crate::error::Error;
use crate::record::PageRecord;

/// Unreadable lines warned about one by one, per file; the rest are only counted.
const WARN_LINES: u64 = 5;

/// What one file held.
#[derive(Debug, Default)]
struct FileRead {
    records: u64,
    summaries: Vec<ReportSummary>,
    bad_lines: u64,
    first_bad: Option<String>,
}

/// Builds the report of one or more pages files, in the order given (`-` reads
/// standard input). Each file's records are aggregated and its summary lines added up
/// ([`combine`]); a file without a summary line (a killed run) still counts, and the
/// report says so. Unreadable lines are skipped with a warning naming the file and
/// line (a run killed mid-write leaves a cut last line).
///
/// # Errors
///
/// [`Error::Input`] when a file cannot be opened or read.
pub fn report_from_files<P: AsRef<Path>>(paths: &[P]) -> Result<Report, Error> {
    let mut agg = Aggregator::new();
    let mut summaries = Vec::new();
    let mut inputs = Inputs::default();
    for path in paths {
        let path = path.as_ref();
        let (name, read) = if path.as_os_str() == "-" {
            let name = "<stdin>".to_owned();
            let read = read_pages(io::stdin().lock(), &name, &mut agg);
            (name, read)
        } else {
            let name = path.display().to_string();
            let file = File::open(path).map_err(|source| Error::Input {
                name: name.clone(),
                source,
            })?;
            let read = read_pages(BufReader::with_capacity(1 << 16, file), &name, &mut agg);
            (name, read)
        };
        let read = read.map_err(|source| Error::Input {
            name: name.clone(),
            source,
        })?;
        if read.summaries.is_empty() {
            inputs.without_summary += 1;
            inputs.notes.push(format!(
                "{name} has no summary line: its run was killed before its end, or the file was cut."
            ));
        }
        if read.bad_lines > 0 {
            inputs.notes.push(format!(
                "{name}: {} unreadable line(s) skipped ({}).",
                read.bad_lines,
                read.first_bad.unwrap_or_default()
            ));
        }
        tracing::debug!(file = %name, records = read.records, summaries = read.summaries.len(), "pages file read");
        summaries.extend(read.summaries);
        inputs.sources.push(name);
    }
    let combined = combine(summaries);
    Ok(agg.finish_with(combined.as_ref(), inputs))
}

/// Feeds every record of `reader` to `agg`; returns the summaries and counts.
fn read_pages<R: BufRead>(mut reader: R, name: &str, agg: &mut Aggregator) -> io::Result<FileRead> {
    let mut out = FileRead::default();
    let mut line = Vec::with_capacity(1024);
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<PageRecord>(text) {
            Ok(record) => {
                agg.add(&record);
                out.records += 1;
            }
            Err(record_err) => match serde_json::from_slice::<SummaryLine>(text) {
                Ok(s) => out.summaries.push(s.summary),
                Err(_) => {
                    out.bad_lines += 1;
                    if out.first_bad.is_none() {
                        out.first_bad = Some(format!("first at line {number}: {record_err}"));
                    }
                    if out.bad_lines <= WARN_LINES {
                        tracing::warn!(
                            "{name}:{number}: not a record or a summary, skipped: {record_err}"
                        );
                    }
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"url":"http://a.test/","final_url":"http://a.test/","outcome":"fetched","status":200,"content_type":"text/html","bytes":10,"links":2,"depth":0,"parent":null,"kind":"page","attempts":1,"started_ms":1000,"elapsed_ms":5.0,"crawl_delay_ms":null}"#;

    #[test]
    fn reads_records_summaries_and_skips_bad_lines() {
        let text = format!(
            "{RECORD}\n\n{{\"url\": 3}}\n{RECORD}\n{{\"summary\":{{\"pages\":2}}}}\n{{\"url\":\"http://a.test/x\",\"outc"
        );
        let mut agg = Aggregator::new();
        let read = read_pages(text.as_bytes(), "p.jsonl", &mut agg).expect("reads");
        assert_eq!(read.records, 2);
        assert_eq!(agg.records(), 2);
        assert_eq!(read.summaries.len(), 1);
        assert_eq!(read.summaries[0].pages, 2);
        assert_eq!(read.bad_lines, 2);
        assert!(
            read.first_bad
                .as_deref()
                .is_some_and(|m| m.starts_with("first at line 3:")),
            "{read:?}"
        );
    }

    #[test]
    fn a_missing_file_names_itself() {
        let err = report_from_files(&["/nonexistent/pages.jsonl"]).expect_err("no such file");
        assert!(
            err.to_string().contains("/nonexistent/pages.jsonl"),
            "{err}"
        );
    }
}
