//! `--pages`: one JSON object per request, one per line, and the summary last.

use std::collections::BTreeMap;
use std::path::Path;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{Committed, PageLinks, Sink, WRITE_AT, open_at};
use crate::error::Error;
use crate::stats::Summary;

/// Writes each request's [`PageRecord`](crate::PageRecord) as a line of JSON, and at
/// the end a line `{"summary":{…}}` with the crawl's [`Summary`]. Each line is written
/// whole.
pub struct RecordsSink<W> {
    writer: W,
    name: String,
    buf: Vec<u8>,
    settings: BTreeMap<String, String>,
    /// Bytes in the file: its length when opened, plus every byte written since.
    written: u64,
    /// The record file, to make it durable at a checkpoint (none for another writer).
    sync: Option<tokio::fs::File>,
}

impl<W> std::fmt::Debug for RecordsSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordsSink")
            .field("name", &self.name)
            .finish()
    }
}

impl RecordsSink<tokio::fs::File> {
    /// Creates (or truncates) the record file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be created.
    pub async fn create(path: &Path) -> Result<Self, Error> {
        let name = path.display().to_string();
        let err = |source| Error::Output {
            name: name.clone(),
            source,
        };
        let file = tokio::fs::File::create(path).await.map_err(err)?;
        let sync = file.try_clone().await.map_err(err)?;
        let mut sink = RecordsSink::new(file, name);
        sink.sync = Some(sync);
        Ok(sink)
    }

    /// Opens the record file at `path` to go on with a crawl resumed from its state:
    /// the file (created if missing) is cut back to `committed`, the length the state
    /// committed at its last [`checkpoint`](Sink::checkpoint), and written on after
    /// it.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be opened or cut, or when it
    /// is shorter than `committed` (it was changed outside crawl).
    pub async fn resume(path: &Path, committed: u64) -> Result<Self, Error> {
        let name = path.display().to_string();
        let file = open_at(path, committed).await?;
        let sync = file.try_clone().await.map_err(|source| Error::Output {
            name: name.clone(),
            source,
        })?;
        let mut sink = RecordsSink::new(file, name);
        sink.written = committed;
        sink.sync = Some(sync);
        Ok(sink)
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> RecordsSink<W> {
    /// Records to `writer`; `name` appears in error messages.
    pub fn new(writer: W, name: impl Into<String>) -> Self {
        RecordsSink {
            writer,
            name: name.into(),
            buf: Vec::with_capacity(WRITE_AT * 2),
            settings: BTreeMap::new(),
            written: 0,
            sync: None,
        }
    }

    /// Writes `settings` (the crawl's settings that matter, as text) into the summary
    /// line, for a report built from the file.
    pub fn with_settings(mut self, settings: BTreeMap<String, String>) -> Self {
        self.settings = settings;
        self
    }

    /// The writer, after [`Sink::finish`].
    pub fn into_inner(self) -> W {
        self.writer
    }

    async fn write_buf(&mut self) -> Result<(), Error> {
        if !self.buf.is_empty() {
            let res = self.writer.write_all(&self.buf).await;
            let len = self.buf.len() as u64;
            self.buf.clear();
            res.map_err(|source| self.err(source))?;
            self.written += len;
        }
        Ok(())
    }

    fn err(&self, source: std::io::Error) -> Error {
        Error::Output {
            name: self.name.clone(),
            source,
        }
    }

    fn line<T: serde::Serialize>(&mut self, value: &T) {
        let start = self.buf.len();
        // Serializing plain data into a Vec cannot fail; if it ever did, the partial
        // line is cut so the file stays one object a line.
        if serde_json::to_writer(&mut self.buf, value).is_ok() {
            self.buf.push(b'\n');
        } else {
            self.buf.truncate(start);
        }
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> Sink for RecordsSink<W> {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.line(&page.record);
        if self.buf.len() >= WRITE_AT {
            self.write_buf().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.write_buf().await?;
        self.writer.flush().await.map_err(|source| self.err(source))
    }

    async fn finish(&mut self, summary: &Summary) -> Result<(), Error> {
        #[derive(serde::Serialize)]
        struct Counters<'a> {
            #[serde(flatten)]
            summary: &'a Summary,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            settings: &'a BTreeMap<String, String>,
        }
        #[derive(serde::Serialize)]
        struct Last<'a> {
            summary: Counters<'a>,
        }
        let settings = std::mem::take(&mut self.settings);
        self.line(&Last {
            summary: Counters {
                summary,
                settings: &settings,
            },
        });
        self.flush().await
    }

    /// Writes out the buffer, flushes, and adds the record file's length, with the
    /// file to sync when it is one.
    async fn checkpoint(&mut self, committed: &mut Committed) -> Result<(), Error> {
        self.flush().await?;
        committed
            .push_synced(self.written, &self.name, self.sync.as_ref())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::PageRecord;
    use url::Url;

    #[tokio::test]
    async fn one_record_a_line_and_the_summary_last() {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let mut sink = RecordsSink::new(Vec::new(), "mem");
        let page = PageLinks::fetched(u("http://a.test/"), u("http://a.test/"), Vec::new());
        sink.write_page(&page).await.expect("write");
        sink.write_page(&page).await.expect("write");
        let summary = Summary {
            pages: 2,
            ..Summary::default()
        };
        sink.finish(&summary).await.expect("finish");
        let text = String::from_utf8(sink.into_inner()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let record: PageRecord = serde_json::from_str(lines[0]).expect("a record");
        assert_eq!(record.url.as_str(), "http://a.test/");
        let last: serde_json::Value = serde_json::from_str(lines[2]).expect("json");
        assert_eq!(last["summary"]["pages"], 2);
    }

    #[tokio::test]
    async fn checkpoint_pushes_the_length_on_disk() {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let page = PageLinks::fetched(u("http://a.test/"), u("http://a.test/"), Vec::new());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pages.jsonl");
        let disk_len = || std::fs::metadata(&path).expect("metadata").len();
        let mut sink = RecordsSink::create(&path).await.expect("create");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [0]);
        sink.write_page(&page).await.expect("write");
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        sink.write_page(&page).await.expect("write");
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths[2], disk_len());
        assert_eq!(lengths.lengths[2], 2 * lengths.lengths[1]);
    }

    #[tokio::test]
    async fn checkpoint_and_resume_at_the_committed_length() {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let page = |s: &str| PageLinks::fetched(u(s), u(s), Vec::new());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pages.jsonl");
        let disk_len = || std::fs::metadata(&path).expect("metadata").len();

        let mut sink = RecordsSink::create(&path).await.expect("create");
        sink.write_page(&page("http://a.test/"))
            .await
            .expect("write");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [disk_len()]);
        let committed = lengths.lengths[0];
        // Written but never committed: a crawl killed before its next commit point.
        sink.write_page(&page("http://lost.test/"))
            .await
            .expect("write");
        sink.flush().await.expect("flush");
        assert!(disk_len() > committed);
        drop(sink);

        let mut sink = RecordsSink::resume(&path, committed).await.expect("resume");
        assert_eq!(disk_len(), committed);
        sink.write_page(&page("http://b.test/"))
            .await
            .expect("write");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [disk_len()]);
        sink.finish(&Summary::default()).await.expect("finish");

        let text = std::fs::read_to_string(&path).expect("read");
        let urls: Vec<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<PageRecord>(l).ok())
            .map(|r| r.url.to_string())
            .collect();
        assert_eq!(urls, ["http://a.test/", "http://b.test/"]);
        assert!(
            text.lines()
                .last()
                .expect("a line")
                .starts_with("{\"summary\"")
        );
    }

    #[tokio::test]
    async fn resume_of_a_shorter_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pages.jsonl");
        std::fs::write(&path, "{}\n").expect("write");
        let err = RecordsSink::resume(&path, 100)
            .await
            .expect_err("shorter than committed");
        assert!(
            matches!(&err, Error::Output { name, source }
                if name == &path.display().to_string() && source.to_string().contains("shorter")),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{}\n");
    }
}
