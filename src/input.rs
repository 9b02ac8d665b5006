//! The URL list: one URL a line, streamed, with bad lines reported by number.
//!
//! Lines are trimmed (whitespace and CR); blank lines and `#` comments are skipped; a
//! URL's `#fragment` is dropped. A line that is not an absolute http(s) URL becomes a
//! [`BadLine`] naming its number, content and cause, and reading goes on. Memory is
//! bounded by [`MAX_LINE_LEN`] whatever the file holds.

use std::fmt;
use std::pin::Pin;

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use url::Url;

use crate::config::Input;
use crate::error::Error;

/// Longest line kept; the rest of a longer line is skipped and the line reported.
pub const MAX_LINE_LEN: usize = 64 * 1024;
/// How much of a bad line a message shows.
const SHOWN_LEN: usize = 200;

/// Why a line is not a URL to crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not valid UTF-8.
    NotUtf8,
    /// The line contains a NUL byte.
    Nul,
    /// The line is longer than [`MAX_LINE_LEN`] bytes.
    TooLong(usize),
    /// The line does not parse as an absolute URL.
    Parse(url::ParseError),
    /// The URL's scheme is not http or https.
    Scheme(String),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::NotUtf8 => f.write_str("not valid UTF-8"),
            LineError::Nul => f.write_str("contains a NUL byte"),
            LineError::TooLong(n) => write!(f, "line of {n} bytes is longer than {MAX_LINE_LEN}"),
            LineError::Parse(e) => write!(f, "not an absolute URL ({e})"),
            LineError::Scheme(s) => write!(f, "scheme {s:?} is not http or https"),
        }
    }
}

/// A line of the URL list that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The input's name (a path or `<stdin>`).
    pub name: String,
    /// 1-based line number.
    pub line: u64,
    /// The line (lossily decoded, shortened for display).
    pub content: String,
    /// The cause.
    pub error: LineError,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: skipping {:?}: {}",
            self.name, self.line, self.content, self.error
        )
    }
}

/// Parses one line of the list: `Ok(None)` for a blank line or a comment.
///
/// # Errors
///
/// A [`LineError`] when the line is not an absolute http(s) URL.
pub fn parse_line(line: &str) -> Result<Option<Url>, LineError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if line.contains('\0') {
        return Err(LineError::Nul);
    }
    let mut url = Url::parse(line).map_err(LineError::Parse)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LineError::Scheme(url.scheme().to_owned()));
    }
    url.set_fragment(None);
    Ok(Some(url))
}

/// One item of a seed list: a URL, or a line that was skipped.
#[derive(Debug)]
pub(crate) enum SeedItem {
    Url(Url),
    Bad(BadLine),
}

/// The URLs a crawl starts from: a list in memory, a stream, or a file read lazily.
pub struct Seeds {
    pub(crate) inner: BoxStream<'static, Result<SeedItem, Error>>,
}

impl fmt::Debug for Seeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seeds")
    }
}

impl Seeds {
    /// Seeds from URLs in memory. Fragments are dropped; non-http(s) URLs are skipped.
    pub fn from_urls<I>(urls: I) -> Self
    where
        I: IntoIterator<Item = Url>,
        I::IntoIter: Send + 'static,
    {
        Self::from_stream(stream::iter(urls))
    }

    /// Seeds from a stream of URLs, pulled only as the crawl has room for them.
    pub fn from_stream<S>(urls: S) -> Self
    where
        S: Stream<Item = Url> + Send + 'static,
    {
        Seeds {
            inner: urls.map(|url| Ok(SeedItem::Url(url))).boxed(),
        }
    }

    /// Seeds read lazily from a URL list (a file or stdin), bad lines reported.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the file cannot be opened or its first block cannot be
    /// read (a directory, say).
    pub async fn from_input(input: &Input) -> Result<Self, Error> {
        let name = input.display_name();
        let reader: Pin<Box<dyn AsyncBufRead + Send>> = match input {
            Input::Stdin => Box::pin(BufReader::new(tokio::io::stdin())),
            Input::None => Box::pin(BufReader::new(tokio::io::empty())),
            Input::Path(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|source| Error::Input {
                        name: name.clone(),
                        source,
                    })?;
                let mut reader = BufReader::with_capacity(64 * 1024, file);
                // Read the first block now: a directory or an unreadable file is an
                // error here, before the caller opens (and truncates) the output.
                reader.fill_buf().await.map_err(|source| Error::Input {
                    name: name.clone(),
                    source,
                })?;
                Box::pin(reader)
            }
        };
        Ok(Self::from_reader(reader, name))
    }

    /// Seeds read lazily from any buffered reader; `name` appears in messages.
    pub fn from_reader<R>(reader: R, name: impl Into<String>) -> Self
    where
        R: AsyncBufRead + Send + Unpin + 'static,
    {
        let lines = LineReader {
            reader,
            name: name.into(),
            line: 0,
            buf: Vec::new(),
        };
        let inner = stream::unfold(lines, |mut lines| async move {
            loop {
                match lines.next_item().await {
                    Ok(Some(Some(item))) => return Some((Ok(item), lines)),
                    Ok(Some(None)) => continue,
                    Ok(None) => return None,
                    Err(e) => {
                        // Report the error once, then end the stream.
                        lines.line = u64::MAX;
                        return Some((Err(e), lines));
                    }
                }
            }
        })
        .boxed();
        Seeds { inner }
    }
}

/// Reads lines with a bounded buffer.
struct LineReader<R> {
    reader: R,
    name: String,
    line: u64,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// `Ok(None)` at the end; `Ok(Some(None))` for a blank or comment line.
    async fn next_item(&mut self) -> Result<Option<Option<SeedItem>>, Error> {
        if self.line == u64::MAX {
            return Ok(None);
        }
        let Some(len) = self.read_line().await.map_err(|source| Error::Input {
            name: self.name.clone(),
            source,
        })?
        else {
            return Ok(None);
        };
        self.line += 1;
        let bad = |error: LineError, bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            let mut content: String = text.trim().chars().take(SHOWN_LEN).collect();
            if content.len() < text.trim().len() {
                content.push('…');
            }
            Some(SeedItem::Bad(BadLine {
                name: self.name.clone(),
                line: self.line,
                content,
                error,
            }))
        };
        if len > MAX_LINE_LEN {
            return Ok(Some(bad(LineError::TooLong(len), &self.buf)));
        }
        let Ok(text) = std::str::from_utf8(&self.buf) else {
            return Ok(Some(bad(LineError::NotUtf8, &self.buf)));
        };
        Ok(Some(match parse_line(text) {
            Ok(None) => None,
            Ok(Some(url)) => Some(SeedItem::Url(url)),
            Err(e) => bad(e, &self.buf),
        }))
    }

    /// Reads one line into `buf` (at most [`MAX_LINE_LEN`] bytes of it) and returns its
    /// full length, or `None` at the end of input.
    async fn read_line(&mut self) -> std::io::Result<Option<usize>> {
        self.buf.clear();
        let mut len = 0usize;
        let mut any = false;
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                return Ok(any.then_some(len));
            }
            any = true;
            let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            len = len.saturating_add(chunk.len());
            let room = (MAX_LINE_LEN + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.reader.consume(used);
            if done {
                return Ok(Some(len));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(data: &'static [u8]) -> Vec<Result<String, (u64, LineError)>> {
        let seeds = Seeds::from_reader(data, "list.txt");
        seeds
            .inner
            .map(|item| match item.expect("no I/O error") {
                SeedItem::Url(u) => Ok(u.to_string()),
                SeedItem::Bad(b) => Err((b.line, b.error)),
            })
            .collect()
            .await
    }

    #[test]
    fn parses_trims_and_skips() {
        assert_eq!(parse_line("  # comment"), Ok(None));
        assert_eq!(parse_line(" \t\r"), Ok(None));
        let url = parse_line("  https://Example.COM/a#frag \r").expect("valid");
        assert_eq!(
            url.map(String::from).as_deref(),
            Some("https://example.com/a")
        );
        assert_eq!(
            parse_line("ftp://example.com/"),
            Err(LineError::Scheme("ftp".into()))
        );
        assert!(matches!(
            parse_line("example.com"),
            Err(LineError::Parse(_))
        ));
        assert!(matches!(parse_line("/relative"), Err(LineError::Parse(_))));
        assert_eq!(parse_line("http://a/\0b"), Err(LineError::Nul));
    }

    #[tokio::test]
    async fn reports_bad_lines_by_number_and_goes_on() {
        let got =
            collect(b"http://a.test/\n\n# c\nnot a url\r\nhttp://b.test/x\xff\nhttp://c.test/")
                .await;
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], Ok("http://a.test/".into()));
        assert!(matches!(got[1], Err((4, LineError::Parse(_)))), "{got:?}");
        assert_eq!(got[2], Err((5, LineError::NotUtf8)));
        assert_eq!(got[3], Ok("http://c.test/".into()));
    }

    #[tokio::test]
    async fn long_lines_are_bounded_and_reported() {
        let mut data = b"http://a.test/".to_vec();
        data.extend(std::iter::repeat_n(b'x', 3 * MAX_LINE_LEN));
        data.extend_from_slice(b"\nhttp://b.test/\n");
        let data: &'static [u8] = data.leak();
        let got = collect(data).await;
        assert_eq!(got.len(), 2);
        assert!(matches!(got[0], Err((1, LineError::TooLong(n))) if n == 3 * MAX_LINE_LEN + 14));
        assert_eq!(got[1], Ok("http://b.test/".into()));
    }

    #[test]
    fn bad_line_message_names_file_line_and_cause() {
        let b = BadLine {
            name: "urls.txt".into(),
            line: 7,
            content: "nope".into(),
            error: LineError::Scheme("ftp".into()),
        };
        assert_eq!(
            b.to_string(),
            "urls.txt:7: skipping \"nope\": scheme \"ftp\" is not http or https"
        );
    }
}
