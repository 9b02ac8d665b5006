//! Where results go: the [`PageLinks`] each request ends with, the [`Sink`] trait,
//! the output formats, and the record file.
//!
//! One task of the engine owns the sink: it is handed one request's end at a time, in
//! the order requests end, so a sink needs no locking and a page's pairs are never
//! interleaved with another page's.

mod format;
mod records;

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use url::Url;

pub use format::{OutputSink, WriterSink};
pub use records::RecordsSink;

use crate::error::Error;
use crate::extract::Link;
use crate::frontier::Kind;
use crate::record::{Outcome, PageRecord};
use crate::stats::Summary;

/// Buffered bytes that trigger a write before the engine next flushes.
pub(crate) const WRITE_AT: usize = 64 * 1024;

/// How one request ended, and for a fetched page, its links.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLinks {
    /// How the request ended: fetched, failed or skipped, with its status, timing and
    /// where it was found.
    pub record: PageRecord,
    /// The page's links in document order, each target once (empty unless fetched).
    pub links: Vec<Link>,
}

impl PageLinks {
    /// A fetched page's links, with a record that says only that.
    pub fn fetched(source: Url, final_url: Url, links: Vec<Link>) -> Self {
        let mut record = PageRecord::new(source, Kind::Page, Outcome::Fetched);
        record.final_url = Some(final_url);
        record.links = links.len() as u64;
        PageLinks { record, links }
    }

    /// The page's URL as listed or discovered, without fragment: the source of its
    /// pairs.
    pub fn source(&self) -> &Url {
        &self.record.url
    }

    /// The URL the page was finally served from, after redirects.
    pub fn final_url(&self) -> Option<&Url> {
        self.record.final_url.as_ref()
    }
}

/// What a sink's files hold at a commit point ([`Sink::checkpoint`]): their lengths,
/// and the files to make durable before a state records them.
#[derive(Debug, Default)]
pub struct Committed {
    /// Byte lengths, one per file, in the sink's order.
    pub lengths: Vec<u64>,
    files: Vec<(String, std::fs::File)>,
}

impl Committed {
    /// Adds a file's committed length; `file`, when given, is synced by
    /// [`Committed::sync`] (`name` names it in errors).
    pub fn push(&mut self, length: u64, name: &str, file: Option<std::fs::File>) {
        self.lengths.push(length);
        if let Some(file) = file {
            self.files.push((name.to_owned(), file));
        }
    }

    /// Adds a file's committed length with a duplicate of `sync`, the file's handle
    /// when the sink writes to a file.
    pub(crate) async fn push_synced(
        &mut self,
        length: u64,
        name: &str,
        sync: Option<&tokio::fs::File>,
    ) -> Result<(), Error> {
        let file = match sync {
            Some(file) => Some(
                file.try_clone()
                    .await
                    .map_err(|source| Error::Output {
                        name: name.to_owned(),
                        source,
                    })?
                    .into_std()
                    .await,
            ),
            None => None,
        };
        self.push(length, name, file);
        Ok(())
    }

    /// Makes every file durable (fsync, on the blocking pool), and gives the lengths.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the file that could not be synced.
    pub async fn sync(self) -> Result<Vec<u64>, Error> {
        let Committed { lengths, files } = self;
        if files.is_empty() {
            return Ok(lengths);
        }
        let synced = tokio::task::spawn_blocking(move || {
            for (name, file) in files {
                file.sync_data()
                    .map_err(|source| Error::Output { name, source })?;
            }
            Ok(())
        })
        .await;
        match synced {
            Ok(result) => result.map(|()| lengths),
            Err(e) => Err(Error::Sink(Box::new(e))),
        }
    }
}

/// Receives how every request ended, one at a time, from the engine's single writer
/// task.
///
/// `write_page` is called once per request that ended for good (not for an attempt
/// that is retried): fetched pages with their links, failures and skips with an empty
/// list. Pairs sinks write the links and ignore the rest.
///
/// # Errors
///
/// An error from any method stops the whole crawl: the writer task ends at once (the
/// sink is not called again, `finish` included, and the requests still queued for it
/// are dropped), no new request starts, requests in flight are abandoned, and
/// [`Crawler::run`](crate::Crawler::run) returns that error once every worker has
/// ended. Wrap errors of your own in [`Error::Sink`]. To skip a page and go on
/// instead, handle the failure inside `write_page` and return `Ok(())`.
///
/// # Example
///
/// ```
/// use crawl::{PageLinks, Sink, Summary};
///
/// /// Counts broken pages.
/// #[derive(Default)]
/// struct Broken(u64);
///
/// impl Sink for Broken {
///     async fn write_page(&mut self, page: &PageLinks) -> Result<(), crawl::Error> {
///         if page.record.status.is_some_and(|s| s >= 400) {
///             self.0 += 1;
///         }
///         Ok(())
///     }
///
///     async fn finish(&mut self, summary: &Summary) -> Result<(), crawl::Error> {
///         println!("{} broken of {} fetched", self.0, summary.pages);
///         Ok(())
///     }
/// }
/// ```
///
/// Two sinks together are a sink (`(a, b)`), and so is an optional one.
///
/// # Checkpoints
///
/// A crawl that keeps state (`--state`) calls [`checkpoint`](Sink::checkpoint) at each
/// commit point and stores the byte lengths it reports with the crawl state; on
/// resume each file is cut back to its committed length and written on from there
/// (see [`OutputSink::resume`] and [`RecordsSink::resume`]), so nothing written after
/// the last commit point is output twice.
pub trait Sink: Send + 'static {
    /// Takes one request's end. Called in the order requests end.
    fn write_page(&mut self, page: &PageLinks) -> impl Future<Output = Result<(), Error>> + Send;

    /// Called when no page has come for a moment: a good time to push buffered data
    /// out.
    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }

    /// Called once after the last page (also after an interrupt), with the summary
    /// the crawl returns.
    fn finish(&mut self, summary: &Summary) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = summary;
        async { Ok(()) }
    }

    /// A commit point of a crawl that keeps state (`--state`): write out everything
    /// buffered and add the committed byte length of each file this sink writes to
    /// `committed`, always in the same order, with the file to make durable
    /// ([`Committed::push`]); the crawl syncs them before the state records the
    /// lengths. A sink that writes no file of its own flushes and adds nothing (the
    /// default).
    fn checkpoint(
        &mut self,
        committed: &mut Committed,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = committed;
        self.flush()
    }
}

impl<A: Sink, B: Sink> Sink for (A, B) {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.0.write_page(page).await?;
        self.1.write_page(page).await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.0.flush().await?;
        self.1.flush().await
    }

    async fn finish(&mut self, summary: &Summary) -> Result<(), Error> {
        self.0.finish(summary).await?;
        self.1.finish(summary).await
    }

    /// The first sink's lengths, then the second's.
    async fn checkpoint(&mut self, committed: &mut Committed) -> Result<(), Error> {
        self.0.checkpoint(committed).await?;
        self.1.checkpoint(committed).await
    }
}

impl<S: Sink> Sink for Option<S> {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        match self {
            Some(sink) => sink.write_page(page).await,
            None => Ok(()),
        }
    }

    async fn flush(&mut self) -> Result<(), Error> {
        match self {
            Some(sink) => sink.flush().await,
            None => Ok(()),
        }
    }

    async fn finish(&mut self, summary: &Summary) -> Result<(), Error> {
        match self {
            Some(sink) => sink.finish(summary).await,
            None => Ok(()),
        }
    }

    /// The sink's lengths; none without a sink.
    async fn checkpoint(&mut self, committed: &mut Committed) -> Result<(), Error> {
        match self {
            Some(sink) => sink.checkpoint(committed).await,
            None => Ok(()),
        }
    }
}

/// Collects every request's end in memory; clone it to read them after the crawl.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    pages: Arc<Mutex<Vec<PageLinks>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every request's end received so far, fetched or not.
    pub fn records(&self) -> Vec<PageRecord> {
        self.lock().iter().map(|p| p.record.clone()).collect()
    }

    /// The fetched pages received so far, with their links.
    pub fn pages(&self) -> Vec<PageLinks> {
        self.lock()
            .iter()
            .filter(|p| p.record.is_fetched() && p.record.kind == Kind::Page)
            .cloned()
            .collect()
    }

    /// Every `(source, target)` pair received so far.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.lock()
            .iter()
            .flat_map(|p| {
                p.links
                    .iter()
                    .map(|l| (p.source().to_string(), l.url.to_string()))
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PageLinks>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for MemorySink {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.lock().push(page.clone());
        Ok(())
    }
}

/// Opens the file at `path` to go on writing after its first `committed` bytes, for a
/// resumed crawl: created if missing (then `committed` must be 0), cut back to
/// `committed`, and opened for appending so every write lands after the kept prefix.
///
/// # Errors
///
/// [`Error::Output`] naming the path when it cannot be opened or cut, or when it is
/// shorter than `committed` (it was changed outside crawl).
async fn open_at(path: &Path, committed: u64) -> Result<tokio::fs::File, Error> {
    let name = path.display().to_string();
    let err = |source| Error::Output {
        name: name.clone(),
        source,
    };
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(err)?;
    let len = file.metadata().await.map_err(err)?.len();
    if len < committed {
        return Err(err(std::io::Error::other(format!(
            "the file is shorter ({len} bytes) than the state's committed length \
             ({committed} bytes): it was changed outside crawl"
        ))));
    }
    file.set_len(committed).await.map_err(err)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Format, Output};

    fn page() -> PageLinks {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let link = Link::hyperlink(u("http://a.test/1"), crate::extract::LinkTag::A);
        PageLinks::fetched(u("http://a.test/"), u("http://a.test/"), vec![link])
    }

    #[tokio::test]
    async fn tuple_and_option_checkpoint_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pairs_path = dir.path().join("pairs.tsv");
        let records_path = dir.path().join("pages.jsonl");
        let output = Output::Path(pairs_path.clone());
        let pairs = OutputSink::open(&output, Format::Tsv, false, false)
            .await
            .expect("open");
        let records = RecordsSink::create(&records_path).await.expect("create");
        let memory = MemorySink::new();
        let mut sink = ((memory.clone(), pairs), (None::<MemorySink>, Some(records)));
        sink.write_page(&page()).await.expect("write");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        let len = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").len();
        let (pairs_len, records_len) = (len(&pairs_path), len(&records_path));
        assert!(pairs_len > 0 && records_len > 0 && pairs_len != records_len);
        assert_eq!(lengths.lengths, [pairs_len, records_len]);
        assert_eq!(memory.records().len(), 1);

        // The other way round, the lengths come the other way round.
        let mut swapped = (sink.1, sink.0);
        let mut lengths = Committed::default();
        swapped.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [records_len, pairs_len]);
    }

    #[tokio::test]
    async fn sinks_without_files_push_nothing() {
        let mut sink = (MemorySink::new(), None::<RecordsSink<tokio::fs::File>>);
        let mut lengths = Committed::default();
        lengths.push(7, "seven", None);
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [7]);
    }
}
