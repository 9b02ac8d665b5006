//! Where pairs go: the [`PageLinks`] record, the [`Sink`] trait, the output formats, and
//! the single writer task.
//!
//! One task owns the sink and is fed by a bounded channel, so a slow disk slows the
//! fetchers instead of growing memory. A page's pairs are encoded into one buffer and
//! reach the output together: never interleaved with another page's, never half-written.

use std::collections::HashSet;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use url::Url;

use crate::config::{Format, Output};
use crate::error::Error;
use crate::extract::Link;
use crate::stats::Stats;

/// Buffered bytes that trigger a write before the channel runs dry.
const WRITE_AT: usize = 64 * 1024;

/// The links found on one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLinks {
    /// The page's URL as listed (or as discovered), without fragment.
    pub source: Url,
    /// The URL the page was finally served from, after redirects.
    pub final_url: Url,
    /// Its links in document order, each target once.
    pub links: Vec<Link>,
}

/// Receives every page's links, one page at a time, from the single writer task.
pub trait Sink: Send + 'static {
    /// Takes one page's links. Called in the order pages complete.
    fn write_page(&mut self, page: &PageLinks) -> impl Future<Output = Result<(), Error>> + Send;

    /// Called whenever no page is waiting: a good moment to push buffered data out.
    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }

    /// Called once after the last page (also after an interrupt).
    fn finish(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
}

/// Collects pages in memory; clone it to read them after the crawl.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    pages: Arc<Mutex<Vec<PageLinks>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pages received so far.
    pub fn pages(&self) -> Vec<PageLinks> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every `(source, target)` pair received so far.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.pages()
            .iter()
            .flat_map(|p| {
                p.links
                    .iter()
                    .map(|l| (p.source.to_string(), l.url.to_string()))
            })
            .collect()
    }
}

impl Sink for MemorySink {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(page.clone());
        Ok(())
    }
}

/// Writes pages in one of the [`Format`]s to any async writer.
pub struct WriterSink<W> {
    writer: W,
    name: String,
    encoder: Encoder,
    buf: Vec<u8>,
}

impl<W> std::fmt::Debug for WriterSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterSink")
            .field("name", &self.name)
            .finish()
    }
}

/// The output of the `crawl` binary: a file or stdout.
pub type OutputSink = WriterSink<Pin<Box<dyn AsyncWrite + Send>>>;

impl<W: AsyncWrite + Unpin + Send + 'static> WriterSink<W> {
    /// A sink writing `format` to `writer`; `name` appears in error messages. With
    /// `header`, the format's header goes first (CSV always has one).
    pub fn new(writer: W, name: impl Into<String>, format: Format, header: bool) -> Self {
        let mut encoder = Encoder::new(format);
        let mut buf = Vec::with_capacity(WRITE_AT * 2);
        encoder.begin(&mut buf, header);
        WriterSink {
            writer,
            name: name.into(),
            encoder,
            buf,
        }
    }

    /// The writer, after [`Sink::finish`].
    pub fn into_inner(self) -> W {
        self.writer
    }

    fn err(&self, source: io::Error) -> Error {
        Error::Output {
            name: self.name.clone(),
            source,
        }
    }

    async fn write_buf(&mut self) -> Result<(), Error> {
        if !self.buf.is_empty() {
            let res = self.writer.write_all(&self.buf).await;
            self.buf.clear();
            res.map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

impl OutputSink {
    /// Opens the output: truncated unless `append`; the header is written only to a
    /// new or empty output.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be opened.
    pub async fn open(
        output: &Output,
        format: Format,
        header: bool,
        append: bool,
    ) -> Result<Self, Error> {
        let name = output.display_name();
        let err = |source| Error::Output {
            name: name.clone(),
            source,
        };
        let (writer, empty): (Pin<Box<dyn AsyncWrite + Send>>, bool) = match output {
            Output::Stdout => (Box::pin(tokio::io::stdout()), true),
            Output::Path(path) => {
                let file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(path)
                    .await
                    .map_err(err)?;
                let empty = !append || file.metadata().await.map_err(err)?.len() == 0;
                (Box::pin(file), empty)
            }
        };
        let header = header || format == Format::Csv;
        Ok(WriterSink::new(writer, name, format, header && empty))
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> Sink for WriterSink<W> {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.encoder.page(&mut self.buf, page);
        if self.buf.len() >= WRITE_AT {
            self.write_buf().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.write_buf().await?;
        self.writer.flush().await.map_err(|e| self.err(e))
    }

    async fn finish(&mut self) -> Result<(), Error> {
        self.encoder.end(&mut self.buf);
        self.flush().await
    }
}

/// Turns pages into bytes of one format.
struct Encoder {
    format: Format,
    /// GraphML nodes already declared (fingerprints of their URLs).
    nodes: HashSet<u128>,
}

#[derive(Serialize)]
struct JsonPair<'a> {
    source: &'a str,
    target: &'a str,
    tag: &'static str,
    attr: &'static str,
}

impl Encoder {
    fn new(format: Format) -> Self {
        Encoder {
            format,
            nodes: HashSet::new(),
        }
    }

    fn begin(&mut self, out: &mut Vec<u8>, header: bool) {
        match self.format {
            Format::Tsv if header => out.extend_from_slice(b"source_url\tparsed_url\n"),
            Format::Csv if header => csv_records(out, [("source", "target")]),
            Format::Dot => out.extend_from_slice(b"digraph crawl {\n"),
            Format::Graphml => out.extend_from_slice(GRAPHML_HEAD.as_bytes()),
            _ => {}
        }
    }

    fn page(&mut self, out: &mut Vec<u8>, page: &PageLinks) {
        let source = page.source.as_str();
        match self.format {
            Format::Graphml => self.graphml_node(out, &page.source),
            Format::Csv => {
                let pairs = page.links.iter().map(|l| (source, l.url.as_str()));
                return csv_records(out, pairs);
            }
            _ => {}
        }
        for link in &page.links {
            let target = link.url.as_str();
            match self.format {
                Format::Tsv => {
                    // WHATWG serialization never contains a tab or newline.
                    out.extend_from_slice(source.as_bytes());
                    out.push(b'\t');
                    out.extend_from_slice(target.as_bytes());
                    out.push(b'\n');
                }
                Format::Csv => {}
                Format::Jsonl => {
                    let pair = JsonPair {
                        source,
                        target,
                        tag: link.tag.as_str(),
                        attr: link.attr(),
                    };
                    // Serializing strings into a Vec cannot fail.
                    if serde_json::to_writer(&mut *out, &pair).is_ok() {
                        out.push(b'\n');
                    }
                }
                Format::Dot => {
                    out.extend_from_slice(b"  ");
                    dot_id(out, source);
                    out.extend_from_slice(b" -> ");
                    dot_id(out, target);
                    out.extend_from_slice(b";\n");
                }
                Format::Graphml => {
                    self.graphml_node(out, &link.url);
                    out.extend_from_slice(b"    <edge source=\"");
                    xml_escape(out, source);
                    out.extend_from_slice(b"\" target=\"");
                    xml_escape(out, target);
                    out.extend_from_slice(b"\"><data key=\"tag\">");
                    out.extend_from_slice(link.tag.as_str().as_bytes());
                    out.extend_from_slice(b"</data></edge>\n");
                }
            }
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        match self.format {
            Format::Dot => out.extend_from_slice(b"}\n"),
            Format::Graphml => out.extend_from_slice(b"  </graph>\n</graphml>\n"),
            _ => {}
        }
    }

    fn graphml_node(&mut self, out: &mut Vec<u8>, url: &Url) {
        if self.nodes.insert(crate::frontier::fingerprint(url)) {
            out.extend_from_slice(b"    <node id=\"");
            xml_escape(out, url.as_str());
            out.extend_from_slice(b"\"/>\n");
        }
    }
}

const GRAPHML_HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" ",
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
    "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns ",
    "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    "  <key id=\"tag\" for=\"edge\" attr.name=\"tag\" attr.type=\"string\"/>\n",
    "  <graph id=\"crawl\" edgedefault=\"directed\">\n"
);

/// RFC 4180 records with CRLF line ends, quoted where needed.
fn csv_records<'a>(out: &mut Vec<u8>, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(4096)
        .from_writer(out);
    for (a, b) in pairs {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record([a, b]);
    }
    let _ = writer.flush();
}

fn dot_id(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for b in s.bytes() {
        if matches!(b, b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn xml_escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&apos;"),
            _ => out.push(b),
        }
    }
}

/// How long the writer waits for another page before it flushes what it holds.
const FLUSH_IDLE: std::time::Duration = std::time::Duration::from_millis(50);

/// The single writer task: drains the channel into the sink, flushes when no page
/// has come for [`FLUSH_IDLE`] (not after every page: a flush is a system call, and
/// with a fast crawl the channel is empty between most pages), and finishes the sink
/// when every sender is gone.
pub(crate) async fn run_writer<S: Sink>(
    mut rx: mpsc::Receiver<PageLinks>,
    mut sink: S,
    stats: Arc<Stats>,
) -> Result<(), Error> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut dirty = false;
    loop {
        let next = if dirty && rx.is_empty() {
            match tokio::time::timeout(FLUSH_IDLE, rx.recv()).await {
                Ok(next) => next,
                Err(_idle) => {
                    sink.flush().await?;
                    dirty = false;
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let Some(page) = next else { break };
        sink.write_page(&page).await?;
        dirty = true;
        stats.pages_written.fetch_add(1, Relaxed);
        stats
            .links_written
            .fetch_add(page.links.len() as u64, Relaxed);
        tracing::info!(
            "Wrote results for source URL: {}",
            crate::redact::url(&page.source)
        );
    }
    sink.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::LinkTag;

    fn page() -> PageLinks {
        let u = |s: &str| Url::parse(s).expect("test URL");
        PageLinks {
            source: u("http://a.test/"),
            final_url: u("http://a.test/"),
            links: vec![
                Link {
                    url: u("http://a.test/x?q=\"1\""),
                    tag: LinkTag::A,
                },
                Link {
                    url: u("http://b.test/y,z"),
                    tag: LinkTag::Area,
                },
            ],
        }
    }

    async fn encode(format: Format, header: bool) -> String {
        let mut sink = WriterSink::new(Vec::new(), "mem", format, header);
        sink.write_page(&page()).await.expect("write");
        sink.finish().await.expect("finish");
        String::from_utf8(sink.into_inner()).expect("utf-8")
    }

    #[tokio::test]
    async fn tsv_with_and_without_header() {
        let body = "http://a.test/\thttp://a.test/x?q=%221%22\nhttp://a.test/\thttp://b.test/y,z\n";
        assert_eq!(encode(Format::Tsv, false).await, body);
        assert_eq!(
            encode(Format::Tsv, true).await,
            format!("source_url\tparsed_url\n{body}")
        );
    }

    #[tokio::test]
    async fn csv_quotes_per_rfc4180() {
        let got = encode(Format::Csv, true).await;
        assert_eq!(
            got,
            "source,target\r\nhttp://a.test/,http://a.test/x?q=%221%22\r\nhttp://a.test/,\"http://b.test/y,z\"\r\n"
        );
    }

    #[tokio::test]
    async fn jsonl_has_tag_and_attr() {
        let got = encode(Format::Jsonl, false).await;
        let lines: Vec<serde_json::Value> = got
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["target"], "http://b.test/y,z");
        assert_eq!(lines[1]["tag"], "area");
        assert_eq!(lines[1]["attr"], "href");
        assert_eq!(lines[0]["source"], "http://a.test/");
    }

    #[tokio::test]
    async fn dot_and_graphml_are_whole_documents() {
        let dot = encode(Format::Dot, false).await;
        assert!(dot.starts_with("digraph crawl {\n"));
        assert!(dot.contains("  \"http://a.test/\" -> \"http://b.test/y,z\";\n"));
        assert!(dot.ends_with("}\n"));
        let xml = encode(Format::Graphml, false).await;
        assert!(xml.contains("<node id=\"http://a.test/\"/>"));
        assert_eq!(xml.matches("<node ").count(), 3);
        assert_eq!(xml.matches("<edge ").count(), 2);
        assert!(xml.ends_with("</graphml>\n"));
    }

    #[tokio::test]
    async fn writer_task_counts_and_finishes() {
        let (tx, rx) = mpsc::channel(4);
        let sink = MemorySink::new();
        let stats = Arc::new(Stats::default());
        let task = tokio::spawn(run_writer(rx, sink.clone(), stats.clone()));
        tx.send(page()).await.expect("send");
        drop(tx);
        task.await.expect("join").expect("writer");
        assert_eq!(sink.pairs().len(), 2);
        assert_eq!(stats.links_written(), 2);
    }
}
