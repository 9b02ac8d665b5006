//! The library's one error type.
//!
//! A page that cannot be fetched is not an error of the crawl: it is counted in the
//! [`Summary`](crate::Summary) and reported as a warning. [`Error`] is for what stops a
//! crawl: an unreadable input, an unwritable output, a bad configuration.

use std::io;

/// What can stop a crawl.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The URL list could not be read.
    #[error("cannot read {name}")]
    Input {
        /// The file name, or `<stdin>`.
        name: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The output could not be opened or written.
    #[error("cannot write {name}")]
    Output {
        /// The file name, or `<stdout>`.
        name: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The cookie jar (`--cookie-jar`) could not be read or written, or a line of it
    /// is not a cookie (`name` is then the file and the line number).
    #[error("cookie jar {name}: {detail}")]
    CookieJar {
        /// The file, and the line when a line is at fault.
        name: String,
        /// What is wrong.
        detail: String,
        /// The I/O error, if one is the cause.
        #[source]
        source: Option<io::Error>,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// A custom [`Sink`](crate::sink::Sink) failed.
    #[error("the sink failed")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A [`Frontier`](crate::frontier::Frontier) backend failed.
    #[error("the frontier failed")]
    Frontier(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A crawl's state directory (`--state`) could not be used: in use by another
    /// crawl, written by another version, corrupted, or unwritable.
    #[error("crawl state {dir}: {detail}")]
    State {
        /// The state directory.
        dir: std::path::PathBuf,
        /// What is wrong, and what to do.
        detail: String,
        /// The store's error, if one is the cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A resumed crawl was started with a setting that defines the crawl changed.
    #[error(
        "crawl state {dir} is a crawl with {setting} {was:?}, not {now:?}: run with the same \
         settings to resume it, or use another --state directory for a new crawl"
    )]
    Mismatch {
        /// The state directory.
        dir: std::path::PathBuf,
        /// The setting, as its option.
        setting: String,
        /// Its value in the state.
        was: String,
        /// Its value now.
        now: String,
    },
    /// The shared frontier's server (`--frontier`) could not be reached or answered
    /// with an error.
    #[error("shared frontier {at}: {detail}")]
    Shared {
        /// The server's address (without a password).
        at: String,
        /// What is wrong.
        detail: String,
        /// The client's error, if one is the cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A worker joined a shared crawl with a setting that defines the crawl changed.
    #[error(
        "shared crawl {crawl} is a crawl with {setting} {was:?}, not {now:?}: start every \
         worker with the same settings, or use another --crawl-id for a new crawl"
    )]
    SharedMismatch {
        /// The crawl id.
        crawl: String,
        /// The setting, as its option.
        setting: String,
        /// Its value in the shared crawl.
        was: String,
        /// Its value in this worker.
        now: String,
    },
}

impl Error {
    /// Whether this is a write to a closed pipe (`crawl … -o - | head`), which the
    /// binary treats as a normal end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
