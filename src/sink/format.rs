//! The pairs' formats: TSV, CSV, JSON Lines, DOT and GraphML, encoded page by page
//! into one buffer so a page's pairs reach the output together.

use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::pin::Pin;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use url::Url;
use xxhash_rust::xxh3::xxh3_128;

use super::{Committed, PageLinks, Sink, WRITE_AT, open_at};
use crate::config::{Format, Output};
use crate::error::Error;
use crate::extract::LinkKinds;
use crate::stats::Summary;

/// Writes pages in one of the [`Format`]s to any async writer.
pub struct WriterSink<W> {
    writer: W,
    name: String,
    encoder: Encoder,
    buf: Vec<u8>,
    /// Bytes in the output: its length when opened, plus every byte written since.
    written: u64,
    /// The output file, to make it durable at a checkpoint (none for stdout or any
    /// other writer).
    sync: Option<tokio::fs::File>,
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
        Self::new_for(writer, name, format, header, LinkKinds::HYPERLINKS)
    }

    /// [`WriterSink::new`] for a crawl that writes the link `kinds`: with kinds other
    /// than hyperlinks, CSV has `tag` and `attr` columns and GraphML an `attr` edge
    /// attribute (JSON Lines always has both). With hyperlinks only, the output is
    /// what it always was.
    pub fn new_for(
        writer: W,
        name: impl Into<String>,
        format: Format,
        header: bool,
        kinds: LinkKinds,
    ) -> Self {
        let mut sink = Self::unbegun(writer, name.into(), format, kinds);
        sink.encoder.begin(&mut sink.buf, header);
        sink
    }

    /// A sink that writes no header or document opening: for output that has them.
    fn unbegun(writer: W, name: String, format: Format, kinds: LinkKinds) -> Self {
        WriterSink {
            writer,
            name,
            encoder: Encoder::new(format, kinds.beyond_hyperlinks()),
            buf: Vec::with_capacity(WRITE_AT * 2),
            written: 0,
            sync: None,
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
            let len = self.buf.len() as u64;
            self.buf.clear();
            res.map_err(|e| self.err(e))?;
            self.written += len;
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
        Self::open_for(output, format, header, append, LinkKinds::HYPERLINKS).await
    }

    /// [`OutputSink::open`] for a crawl that writes the link `kinds`
    /// ([`WriterSink::new_for`] says what changes).
    ///
    /// # Errors
    ///
    /// As [`OutputSink::open`].
    pub async fn open_for(
        output: &Output,
        format: Format,
        header: bool,
        append: bool,
        kinds: LinkKinds,
    ) -> Result<Self, Error> {
        let name = output.display_name();
        let err = |source| Error::Output {
            name: name.clone(),
            source,
        };
        let (writer, len, sync): (Pin<Box<dyn AsyncWrite + Send>>, u64, _) = match output {
            Output::Stdout => (Box::pin(tokio::io::stdout()), 0, None),
            Output::Path(path) => {
                let file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(path)
                    .await
                    .map_err(err)?;
                let len = if append {
                    file.metadata().await.map_err(err)?.len()
                } else {
                    0
                };
                let sync = file.try_clone().await.map_err(err)?;
                (Box::pin(file), len, Some(sync))
            }
        };
        let header = header || format == Format::Csv;
        let mut sink = WriterSink::new_for(writer, name, format, header && len == 0, kinds);
        sink.written = len;
        sink.sync = sync;
        Ok(sink)
    }

    /// Opens the output file at `path` to go on with a crawl resumed from its state:
    /// the file (created if missing) is cut back to `committed`, the length the state
    /// committed at its last [`checkpoint`](Sink::checkpoint), and written on after
    /// it. The header (`header`, always for CSV; DOT's and GraphML's opening) is
    /// written only when `committed` is 0. For GraphML the nodes the kept part
    /// declares are read back, so none is declared twice.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be opened, cut or read, or
    /// when it is shorter than `committed` (it was changed outside crawl).
    pub async fn resume(
        path: &Path,
        format: Format,
        header: bool,
        committed: u64,
    ) -> Result<Self, Error> {
        Self::resume_for(path, format, header, committed, LinkKinds::HYPERLINKS).await
    }

    /// [`OutputSink::resume`] for a crawl that writes the link `kinds`
    /// ([`WriterSink::new_for`] says what changes).
    ///
    /// # Errors
    ///
    /// As [`OutputSink::resume`].
    pub async fn resume_for(
        path: &Path,
        format: Format,
        header: bool,
        committed: u64,
        kinds: LinkKinds,
    ) -> Result<Self, Error> {
        let name = path.display().to_string();
        let file = open_at(path, committed).await?;
        let sync = file.try_clone().await.map_err(|source| Error::Output {
            name: name.clone(),
            source,
        })?;
        let writer: Pin<Box<dyn AsyncWrite + Send>> = Box::pin(file);
        let mut sink = if committed == 0 {
            WriterSink::new_for(writer, name, format, header || format == Format::Csv, kinds)
        } else {
            // The kept part begins with the header or the document's opening.
            WriterSink::unbegun(writer, name, format, kinds)
        };
        sink.written = committed;
        sink.sync = Some(sync);
        if format == Format::Graphml && committed > 0 {
            let prefix = tokio::fs::File::open(path).await.map_err(|e| sink.err(e))?;
            let read = sink.encoder.read_nodes(prefix.take(committed)).await;
            read.map_err(|e| sink.err(e))?;
        }
        Ok(sink)
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> Sink for WriterSink<W> {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        if page.links.is_empty() {
            return Ok(());
        }
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

    async fn finish(&mut self, _summary: &Summary) -> Result<(), Error> {
        self.encoder.end(&mut self.buf);
        self.flush().await
    }

    /// Writes out the buffer, flushes, syncs the file's data when the output is a
    /// file, and pushes the output's length (also for a writer that is not a file:
    /// the bytes written to it).
    async fn checkpoint(&mut self, committed: &mut Committed) -> Result<(), Error> {
        self.flush().await?;
        committed
            .push_synced(self.written, &self.name, self.sync.as_ref())
            .await
    }
}

/// Turns pages into bytes of one format.
struct Encoder {
    format: Format,
    /// CSV's `tag` and `attr` columns, GraphML's `attr` attribute: when the crawl
    /// writes kinds other than hyperlinks.
    columns: bool,
    /// GraphML nodes already declared: hashes of their ids as written (escaped).
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
    fn new(format: Format, columns: bool) -> Self {
        Encoder {
            format,
            columns,
            nodes: HashSet::new(),
        }
    }

    fn begin(&mut self, out: &mut Vec<u8>, header: bool) {
        match self.format {
            Format::Tsv if header => out.extend_from_slice(b"source_url\tparsed_url\n"),
            Format::Csv if header && self.columns => {
                csv_rows(out, [["source", "target", "tag", "attr"]]);
            }
            Format::Csv if header => csv_records(out, [("source", "target")]),
            Format::Dot => out.extend_from_slice(b"digraph crawl {\n"),
            Format::Graphml if self.columns => {
                let head = GRAPHML_HEAD.replace(GRAPHML_TAG_KEY, GRAPHML_KEYS);
                out.extend_from_slice(head.as_bytes());
            }
            Format::Graphml => out.extend_from_slice(GRAPHML_HEAD.as_bytes()),
            _ => {}
        }
    }

    fn page(&mut self, out: &mut Vec<u8>, page: &PageLinks) {
        let source = page.source().as_str();
        match self.format {
            Format::Graphml => self.graphml_node(out, page.source()),
            Format::Csv if self.columns => {
                let rows = page
                    .links
                    .iter()
                    .map(|l| [source, l.url.as_str(), l.tag.as_str(), l.attr()]);
                return csv_rows(out, rows);
            }
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
                    if self.columns {
                        out.extend_from_slice(b"</data><data key=\"attr\">");
                        out.extend_from_slice(link.attr().as_bytes());
                    }
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
        let start = out.len();
        out.extend_from_slice(NODE_OPEN);
        let id = out.len();
        xml_escape(out, url.as_str());
        if self.nodes.insert(xxh3_128(&out[id..])) {
            out.extend_from_slice(NODE_CLOSE);
            out.push(b'\n');
        } else {
            out.truncate(start);
        }
    }

    /// Reads GraphML written before (a resumed crawl's kept part) line by line, and
    /// takes every node it declares as declared.
    async fn read_nodes(&mut self, prefix: impl tokio::io::AsyncRead + Unpin) -> io::Result<()> {
        let mut reader = tokio::io::BufReader::with_capacity(64 * 1024, prefix);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let id = text
                .strip_prefix(NODE_OPEN)
                .and_then(|rest| rest.strip_suffix(NODE_CLOSE));
            if let Some(id) = id {
                self.nodes.insert(xxh3_128(id));
            }
        }
    }
}

/// A GraphML node's line up to its id, and after it (then a line feed).
const NODE_OPEN: &[u8] = b"    <node id=\"";
const NODE_CLOSE: &[u8] = b"\"/>";

const GRAPHML_HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" ",
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
    "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns ",
    "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    "  <key id=\"tag\" for=\"edge\" attr.name=\"tag\" attr.type=\"string\"/>\n",
    "  <graph id=\"crawl\" edgedefault=\"directed\">\n"
);

/// GraphML's declaration of the `tag` edge attribute, and of both `tag` and `attr`.
const GRAPHML_TAG_KEY: &str =
    "  <key id=\"tag\" for=\"edge\" attr.name=\"tag\" attr.type=\"string\"/>\n";
const GRAPHML_KEYS: &str = concat!(
    "  <key id=\"tag\" for=\"edge\" attr.name=\"tag\" attr.type=\"string\"/>\n",
    "  <key id=\"attr\" for=\"edge\" attr.name=\"attr\" attr.type=\"string\"/>\n"
);

/// RFC 4180 rows of four fields, as [`csv_records`] writes pairs.
fn csv_rows<'a>(out: &mut Vec<u8>, rows: impl IntoIterator<Item = [&'a str; 4]>) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(4096)
        .from_writer(out);
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row);
    }
    let _ = writer.flush();
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Link, LinkTag};

    fn page() -> PageLinks {
        let u = |s: &str| Url::parse(s).expect("test URL");
        PageLinks::fetched(
            u("http://a.test/"),
            u("http://a.test/"),
            vec![
                Link::hyperlink(u("http://a.test/x?q=\"1\""), LinkTag::A),
                Link::hyperlink(u("http://b.test/y,z"), LinkTag::Area),
            ],
        )
    }

    async fn encode(format: Format, header: bool) -> String {
        let mut sink = WriterSink::new(Vec::new(), "mem", format, header);
        sink.write_page(&page()).await.expect("write");
        sink.finish(&Summary::default()).await.expect("finish");
        String::from_utf8(sink.into_inner()).expect("utf-8")
    }

    #[tokio::test]
    async fn other_kinds_add_tag_and_attr_to_csv_and_graphml() {
        use crate::extract::LinkAttr;
        let u = |s: &str| Url::parse(s).expect("test URL");
        let mut extended = page();
        extended.links.push(Link {
            url: u("http://a.test/i.png"),
            tag: LinkTag::Img,
            attribute: LinkAttr::Srcset,
        });
        let encode = async |format| {
            let mut sink = WriterSink::new_for(Vec::new(), "mem", format, true, LinkKinds::ALL);
            sink.write_page(&extended).await.expect("write");
            sink.finish(&Summary::default()).await.expect("finish");
            String::from_utf8(sink.into_inner()).expect("utf-8")
        };
        assert_eq!(
            encode(Format::Csv).await,
            "source,target,tag,attr\r\nhttp://a.test/,http://a.test/x?q=%221%22,a,href\r\n\
             http://a.test/,\"http://b.test/y,z\",area,href\r\nhttp://a.test/,http://a.test/i.png,img,srcset\r\n"
        );
        let xml = encode(Format::Graphml).await;
        assert!(xml.contains("<key id=\"attr\" for=\"edge\""), "{xml}");
        assert!(
            xml.contains("<data key=\"tag\">img</data><data key=\"attr\">srcset</data></edge>"),
            "{xml}"
        );
        // Hyperlinks only: the output of before.
        let mut sink =
            WriterSink::new_for(Vec::new(), "mem", Format::Csv, true, LinkKinds::HYPERLINKS);
        sink.write_page(&page()).await.expect("write");
        sink.finish(&Summary::default()).await.expect("finish");
        assert_eq!(
            String::from_utf8(sink.into_inner()).expect("utf-8"),
            encode_default(Format::Csv).await
        );
    }

    async fn encode_default(format: Format) -> String {
        encode(format, true).await
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

    fn page_of(source: &str, targets: &[&str]) -> PageLinks {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let links = targets
            .iter()
            .map(|t| Link::hyperlink(u(t), LinkTag::A))
            .collect();
        PageLinks::fetched(u(source), u(source), links)
    }

    fn disk_len(path: &Path) -> u64 {
        std::fs::metadata(path).expect("metadata").len()
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).expect("read output")
    }

    /// Writes `first`, checkpoints, then writes `lost` and flushes without a
    /// checkpoint (as a crawl killed before its next commit point): returns the
    /// committed length, shorter than the file.
    async fn committed_then_more(
        path: &Path,
        format: Format,
        header: bool,
        first: &PageLinks,
        lost: &PageLinks,
    ) -> u64 {
        let output = Output::Path(path.to_path_buf());
        let mut sink = OutputSink::open(&output, format, header, false)
            .await
            .expect("open");
        sink.write_page(first).await.expect("write");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [disk_len(path)]);
        sink.write_page(lost).await.expect("write");
        sink.flush().await.expect("flush");
        assert!(disk_len(path) > lengths.lengths[0]);
        lengths.lengths[0]
    }

    /// Resumes at `committed`, writes `next` and finishes.
    async fn resume_and_finish(
        path: &Path,
        format: Format,
        header: bool,
        committed: u64,
        next: &PageLinks,
    ) {
        let mut sink = OutputSink::resume(path, format, header, committed)
            .await
            .expect("resume");
        sink.write_page(next).await.expect("write");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [disk_len(path)]);
        sink.finish(&Summary::default()).await.expect("finish");
    }

    #[tokio::test]
    async fn checkpoint_pushes_the_length_on_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.tsv");
        let output = Output::Path(path.clone());
        let mut sink = OutputSink::open(&output, Format::Tsv, true, false)
            .await
            .expect("open");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [disk_len(&path)]);
        assert_eq!(lengths.lengths[0], "source_url\tparsed_url\n".len() as u64);
        sink.write_page(&page()).await.expect("write");
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths[1], disk_len(&path));
        sink.finish(&Summary::default()).await.expect("finish");

        // Appending counts the bytes already there.
        let before = disk_len(&path);
        let mut sink = OutputSink::open(&output, Format::Tsv, true, true)
            .await
            .expect("open to append");
        let mut lengths = Committed::default();
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths, [before]);
        sink.write_page(&page()).await.expect("write");
        sink.checkpoint(&mut lengths).await.expect("checkpoint");
        assert_eq!(lengths.lengths[1], disk_len(&path));
        assert_eq!(read(&path).matches("source_url").count(), 1);
    }

    #[tokio::test]
    async fn resume_cuts_back_and_goes_on_without_a_second_header() {
        let first = page_of("http://a.test/", &["http://a.test/1"]);
        let lost = page_of("http://lost.test/", &["http://lost.test/1"]);
        let next = page_of("http://c.test/", &["http://c.test/1"]);
        let dir = tempfile::tempdir().expect("tempdir");
        for (format, header, want) in [
            (
                Format::Tsv,
                true,
                "source_url\tparsed_url\nhttp://a.test/\thttp://a.test/1\nhttp://c.test/\thttp://c.test/1\n",
            ),
            (
                Format::Tsv,
                false,
                "http://a.test/\thttp://a.test/1\nhttp://c.test/\thttp://c.test/1\n",
            ),
            (
                Format::Csv,
                false,
                "source,target\r\nhttp://a.test/,http://a.test/1\r\nhttp://c.test/,http://c.test/1\r\n",
            ),
            (
                Format::Dot,
                false,
                "digraph crawl {\n  \"http://a.test/\" -> \"http://a.test/1\";\n  \"http://c.test/\" -> \"http://c.test/1\";\n}\n",
            ),
        ] {
            let path = dir.path().join(format!("out-{format:?}-{header}"));
            let committed = committed_then_more(&path, format, header, &first, &lost).await;
            resume_and_finish(&path, format, header, committed, &next).await;
            assert_eq!(read(&path), want, "{format:?} header {header}");
        }
    }

    #[tokio::test]
    async fn resume_at_zero_writes_the_header_to_a_new_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.csv");
        let next = page_of("http://c.test/", &["http://c.test/1"]);
        resume_and_finish(&path, Format::Csv, false, 0, &next).await;
        assert_eq!(
            read(&path),
            "source,target\r\nhttp://c.test/,http://c.test/1\r\n"
        );
    }

    #[tokio::test]
    async fn graphml_resume_declares_no_node_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.graphml");
        let amp = "http://a.test/it's?x=1&y=2";
        let first = page_of("http://a.test/", &[amp, "http://b.test/"]);
        let lost = page_of("http://lost.test/", &["http://lost.test/1"]);
        // Its source and two of its targets are declared in the kept part.
        let next = page_of("http://b.test/", &["http://a.test/", amp, "http://c.test/"]);
        let committed = committed_then_more(&path, Format::Graphml, false, &first, &lost).await;
        resume_and_finish(&path, Format::Graphml, false, committed, &next).await;
        let xml = read(&path);
        assert_eq!(xml.matches("<graphml ").count(), 1);
        assert_eq!(xml.matches("</graphml>").count(), 1);
        assert_eq!(xml.matches("<graph ").count(), 1);
        assert!(xml.ends_with("  </graph>\n</graphml>\n"));
        assert!(!xml.contains("lost.test"));
        let nodes: Vec<&str> = xml.lines().filter(|l| l.contains("<node ")).collect();
        let mut unique = nodes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            nodes.len(),
            unique.len(),
            "a node declared twice: {nodes:?}"
        );
        assert_eq!(nodes.len(), 4, "{nodes:?}");
        assert!(xml.contains("<node id=\"http://a.test/it&apos;s?x=1&amp;y=2\"/>"));
        assert_eq!(xml.matches("<edge ").count(), 5);
        // Every edge's ends are declared before it.
        let mut declared = std::collections::HashSet::new();
        for line in xml.lines() {
            if let Some(id) = line.strip_prefix("    <node id=\"") {
                declared.insert(id.trim_end_matches("\"/>").to_owned());
            }
            if let Some(edge) = line.strip_prefix("    <edge source=\"") {
                let (source, rest) = edge.split_once("\" target=\"").expect("edge");
                let (target, _) = rest.split_once('"').expect("edge");
                assert!(declared.contains(source), "{source} undeclared");
                assert!(declared.contains(target), "{target} undeclared");
            }
        }
    }

    #[tokio::test]
    async fn a_file_shorter_than_committed_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("short.tsv");
        std::fs::write(&path, "abc").expect("write");
        let err = OutputSink::resume(&path, Format::Tsv, false, 10)
            .await
            .expect_err("shorter than committed");
        match &err {
            Error::Output { name, source } => {
                assert_eq!(name, &path.display().to_string());
                assert!(source.to_string().contains("shorter"), "{source}");
                assert!(source.to_string().contains("outside crawl"), "{source}");
            }
            other => panic!("not an output error: {other:?}"),
        }
        // The file is left as it was.
        assert_eq!(read(&path), "abc");
    }
}
