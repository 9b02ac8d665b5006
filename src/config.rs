//! Configuration: every knob of a crawl, with its default as a documented `pub const`.
//!
//! A [`Config`] is built with [`Config::builder`]; [`ConfigBuilder::build`] validates it.
//! The `crawl` binary turns its command line into the same builder, so the CLI and the
//! library share one set of defaults.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::error::Error;

/// Default input file, one URL a line.
pub const DEFAULT_INPUT: &str = "urls.txt";
/// Default output file.
pub const DEFAULT_OUTPUT: &str = "foundurls.txt";
/// Default number of requests in flight at once, across all hosts.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Default deadline for a whole page fetch: connecting, every redirect hop and the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default deadline for establishing one TCP (and TLS) connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body, counted on decompressed bytes (10 MiB).
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;
/// Default number of redirects followed before a fetch fails.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
/// Default `User-Agent`: `crawl/<version>` and the project URL.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "crawl/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);
/// Default recursion depth: 0 fetches only the listed URLs.
pub const DEFAULT_DEPTH: u32 = 0;
/// Default number of requests in flight at once to one host.
pub const DEFAULT_HOST_CONCURRENCY: usize = 8;
/// Default minimum gap between the starts of two requests to one host.
pub const DEFAULT_HOST_DELAY: Duration = Duration::ZERO;
/// Default number of retries of a request that failed in a way that may pass.
pub const DEFAULT_RETRIES: u32 = 2;
/// Default cap on how long a `Retry-After` header may hold a host back.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Default longest URL that is followed, in bytes of its serialization.
pub const DEFAULT_MAX_URL_LEN: usize = 2048;
/// Default first backoff before a retry; it doubles with each further attempt.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(500);

/// Where the URL list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    Path(PathBuf),
}

/// Where the pairs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output.
    Stdout,
    /// A file.
    Path(PathBuf),
}

impl Input {
    /// `-` means standard input; anything else is a path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(arg.into())
        }
    }

    /// A name for messages: the path, or `<stdin>`.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

impl Output {
    /// `-` means standard output; anything else is a path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Output::Stdout
        } else {
            Output::Path(arg.into())
        }
    }

    /// A name for messages: the path, or `<stdout>`.
    pub fn display_name(&self) -> String {
        match self {
            Output::Stdout => "<stdout>".to_owned(),
            Output::Path(p) => p.display().to_string(),
        }
    }
}

/// Output format of the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `source<TAB>target<LF>`, the areq format.
    #[default]
    Tsv,
    /// RFC 4180 CSV with a `source,target` header row.
    Csv,
    /// JSON Lines: `{"source":…,"target":…,"tag":…,"attr":…}`.
    Jsonl,
    /// A Graphviz `digraph`.
    Dot,
    /// GraphML, for Gephi and other graph tools.
    Graphml,
}

impl Format {
    /// Whether the format is one document that cannot be appended to.
    pub fn is_document(self) -> bool {
        matches!(self, Format::Dot | Format::Graphml)
    }
}

/// Which discovered links a recursive crawl follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Same host as the listed URL the link descends from.
    #[default]
    Host,
    /// Same registrable domain (per the public suffix list) as the listed URL.
    Domain,
    /// Any http(s) URL.
    Any,
}

/// Everything a crawl needs to know. Build one with [`Config::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The URL list read by [`crate::crawl`]. Default [`DEFAULT_INPUT`].
    pub input: Input,
    /// Where [`crate::crawl`] writes the pairs. Default [`DEFAULT_OUTPUT`].
    pub output: Output,
    /// Output format. Default TSV.
    pub format: Format,
    /// Write a header line (TSV: areq's `source_url<TAB>parsed_url`). Default off.
    pub header: bool,
    /// Append to the output instead of truncating it. Default off.
    pub append: bool,
    /// Keep `#fragment`s on extracted links. Default off.
    pub keep_fragments: bool,
    /// Requests in flight at once, across everything. Default [`DEFAULT_CONCURRENCY`].
    pub concurrency: NonZeroUsize,
    /// Deadline for a whole page fetch. Default [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// Deadline for one connection. Default [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// Body cap in decompressed bytes. Default [`DEFAULT_MAX_BODY`].
    pub max_body: u64,
    /// Redirects followed. Default [`DEFAULT_MAX_REDIRECTS`].
    pub max_redirects: usize,
    /// The `User-Agent` header. Default [`DEFAULT_USER_AGENT`].
    pub user_agent: String,
    /// Hops followed from a listed URL. Default [`DEFAULT_DEPTH`].
    pub depth: u32,
    /// Upper bound on pages fetched in the whole crawl. Default none.
    pub max_pages: Option<u64>,
    /// Upper bound on pages fetched from one host. Default none.
    pub max_pages_per_host: Option<u64>,
    /// Longest URL followed, in bytes. Default [`DEFAULT_MAX_URL_LEN`].
    pub max_url_len: usize,
    /// Which links a recursive crawl follows. Default [`Scope::Host`].
    pub scope: Scope,
    /// A followed URL must match one of these, if any are given.
    pub include: Vec<Regex>,
    /// A followed URL must match none of these.
    pub exclude: Vec<Regex>,
    /// Obey robots.txt. Default on.
    pub respect_robots: bool,
    /// Requests in flight at once to one host. Default [`DEFAULT_HOST_CONCURRENCY`].
    pub host_concurrency: NonZeroUsize,
    /// Minimum gap between requests to one host. Default [`DEFAULT_HOST_DELAY`].
    pub host_delay: Duration,
    /// Retries of a request that failed in a way that may pass. Default [`DEFAULT_RETRIES`].
    pub retries: u32,
    /// First retry backoff, doubled for each further attempt. Default [`DEFAULT_RETRY_BASE`].
    pub retry_base: Duration,
    /// Cap on a `Retry-After` hold. Default [`DEFAULT_MAX_RETRY_AFTER`].
    pub max_retry_after: Duration,
    /// Seed the crawl from robots.txt `Sitemap:` lines and `/sitemap.xml`. Default off.
    pub sitemap: bool,
    /// Refuse loopback, private, link-local and metadata addresses. Default off.
    pub block_private: bool,
    /// Host names resolved to these addresses instead of through DNS (like curl's
    /// `--resolve`). Default none.
    pub resolve: Vec<(String, std::net::IpAddr)>,
    /// Also write a one-file HTML report of the crawl here, at its end and on Ctrl-C
    /// (see [`crate::report`]). Default none.
    pub report: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            input: Input::Path(DEFAULT_INPUT.into()),
            output: Output::Path(DEFAULT_OUTPUT.into()),
            format: Format::Tsv,
            header: false,
            append: false,
            keep_fragments: false,
            concurrency: nonzero(DEFAULT_CONCURRENCY),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            depth: DEFAULT_DEPTH,
            max_pages: None,
            max_pages_per_host: None,
            max_url_len: DEFAULT_MAX_URL_LEN,
            scope: Scope::Host,
            include: Vec::new(),
            exclude: Vec::new(),
            respect_robots: true,
            host_concurrency: nonzero(DEFAULT_HOST_CONCURRENCY),
            host_delay: DEFAULT_HOST_DELAY,
            retries: DEFAULT_RETRIES,
            retry_base: DEFAULT_RETRY_BASE,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            sitemap: false,
            block_private: false,
            resolve: Vec::new(),
            report: None,
        }
    }
}

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// Whether discovered links are followed.
    pub fn is_recursive(&self) -> bool {
        self.depth > 0
    }
}

/// Builds a validated [`Config`]. Each setter documents its default on the field.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$m])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.config.$name = value;
                self
            }
        )*
    };
}

impl ConfigBuilder {
    setters! {
        /// See [`Config::input`].
        input: Input,
        /// See [`Config::output`].
        output: Output,
        /// See [`Config::format`].
        format: Format,
        /// See [`Config::header`].
        header: bool,
        /// See [`Config::append`].
        append: bool,
        /// See [`Config::keep_fragments`].
        keep_fragments: bool,
        /// See [`Config::concurrency`].
        concurrency: NonZeroUsize,
        /// See [`Config::timeout`].
        timeout: Duration,
        /// See [`Config::connect_timeout`].
        connect_timeout: Duration,
        /// See [`Config::max_body`].
        max_body: u64,
        /// See [`Config::max_redirects`].
        max_redirects: usize,
        /// See [`Config::user_agent`].
        user_agent: String,
        /// See [`Config::depth`].
        depth: u32,
        /// See [`Config::max_pages`].
        max_pages: Option<u64>,
        /// See [`Config::max_pages_per_host`].
        max_pages_per_host: Option<u64>,
        /// See [`Config::max_url_len`].
        max_url_len: usize,
        /// See [`Config::scope`].
        scope: Scope,
        /// See [`Config::include`].
        include: Vec<Regex>,
        /// See [`Config::exclude`].
        exclude: Vec<Regex>,
        /// See [`Config::respect_robots`].
        respect_robots: bool,
        /// See [`Config::host_concurrency`].
        host_concurrency: NonZeroUsize,
        /// See [`Config::host_delay`].
        host_delay: Duration,
        /// See [`Config::retries`].
        retries: u32,
        /// See [`Config::retry_base`].
        retry_base: Duration,
        /// See [`Config::max_retry_after`].
        max_retry_after: Duration,
        /// See [`Config::sitemap`].
        sitemap: bool,
        /// See [`Config::block_private`].
        block_private: bool,
        /// See [`Config::resolve`].
        resolve: Vec<(String, std::net::IpAddr)>,
        /// See [`Config::report`].
        report: Option<PathBuf>,
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a value is out of range or options contradict each other:
    /// a zero timeout or body cap, an empty or multi-line user agent, `append` with
    /// a whole-document format (DOT, GraphML), or a report written over the output.
    pub fn build(self) -> Result<Config, Error> {
        let c = self.config;
        let bad = |msg: &str| Err(Error::Config(msg.to_owned()));
        if c.timeout.is_zero() {
            return bad("the timeout must be greater than zero");
        }
        if c.connect_timeout.is_zero() {
            return bad("the connect timeout must be greater than zero");
        }
        if c.max_body == 0 {
            return bad("the body cap must be greater than zero");
        }
        if c.user_agent.trim().is_empty() || c.user_agent.contains(['\r', '\n']) {
            return bad("the user agent must be one non-empty line");
        }
        if c.append && c.format.is_document() {
            return bad("DOT and GraphML are whole documents and cannot be appended to");
        }
        if c.max_url_len < 16 {
            return bad("the URL length limit must be at least 16 bytes");
        }
        if c.block_private
            && let Some((host, ip)) = c
                .resolve
                .iter()
                .find(|(_, ip)| !crate::guard::is_public(*ip))
        {
            return Err(Error::Config(format!(
                "{host} is resolved to {ip}, which --block-private refuses"
            )));
        }
        if c.max_pages == Some(0) || c.max_pages_per_host == Some(0) {
            return bad("a page limit must be at least 1");
        }
        if let Some(report) = &c.report {
            if report.as_os_str().is_empty() {
                return bad("the report path is empty");
            }
            let same = match &c.output {
                Output::Path(out) => out == report,
                Output::Stdout => report.as_os_str() == "-",
            };
            if same {
                return bad("the report and the output are the same file");
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build() {
        let c = Config::builder().build().expect("defaults are valid");
        assert_eq!(c.concurrency.get(), DEFAULT_CONCURRENCY);
        assert_eq!(c.max_body, 10 * 1024 * 1024);
        assert!(c.respect_robots);
        assert!(!c.is_recursive());
        assert!(c.user_agent.starts_with("crawl/"));
        assert!(c.user_agent.contains("http"), "{}", c.user_agent);
    }

    #[test]
    fn rejects_contradictions() {
        assert!(Config::builder().timeout(Duration::ZERO).build().is_err());
        assert!(Config::builder().max_body(0).build().is_err());
        assert!(Config::builder().user_agent("a\nb".into()).build().is_err());
        let err = Config::builder()
            .append(true)
            .format(Format::Dot)
            .build()
            .expect_err("append + dot");
        assert!(err.to_string().contains("appended"), "{err}");
    }

    #[test]
    fn the_report_must_not_overwrite_the_output() {
        let ok = Config::builder().report(Some("r.html".into())).build();
        assert_eq!(ok.expect("valid").report, Some(PathBuf::from("r.html")));
        let same = Config::builder()
            .output(Output::Path("x.html".into()))
            .report(Some("x.html".into()))
            .build()
            .expect_err("same file");
        assert!(same.to_string().contains("same file"), "{same}");
        let both_stdout = Config::builder()
            .output(Output::Stdout)
            .report(Some("-".into()))
            .build();
        assert!(both_stdout.is_err());
        assert!(Config::builder().report(Some("".into())).build().is_err());
    }

    #[test]
    fn dash_means_std_streams() {
        assert_eq!(Input::from_arg("-"), Input::Stdin);
        assert_eq!(Output::from_arg("-"), Output::Stdout);
        assert_eq!(Input::from_arg("a.txt"), Input::Path("a.txt".into()));
    }
}
