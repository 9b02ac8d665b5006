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
use crate::extract::{LinkKinds, Select};
use crate::fetch::{BasicAuth, ProxyUrl, RequestHeader};

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
/// Default [`Config::commit_interval`]: one commit point a second (benches/README.md).
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// Default number of retries of a request that failed in a way that may pass.
pub const DEFAULT_RETRIES: u32 = 2;
/// Default for [`Config::render_concurrency`]: browser tabs open at once.
pub const DEFAULT_RENDER_CONCURRENCY: usize = 4;
/// Default for [`Config::render_wait`].
pub const DEFAULT_RENDER_WAIT: Duration = Duration::from_secs(2);
/// Default cap on how long a `Retry-After` header may hold a host back.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Default longest URL that is followed, in bytes of its serialization.
pub const DEFAULT_MAX_URL_LEN: usize = 2048;
/// Default first backoff before a retry; it doubles with each further attempt.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(500);
/// Default longest `Crawl-delay` obeyed: a host asking for more is skipped, as Nutch
/// does.
pub const DEFAULT_MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);
/// Longest duration any option may take (timeouts, delays, holds): a week.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 86_400);
/// Most requests in flight an option may ask for (`concurrency`, `host_concurrency`).
pub const MAX_CONCURRENCY: usize = 65_536;

/// Where the URL list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    Path(PathBuf),
    /// No list: a worker that joins a shared crawl ([`Config::frontier`]) others seeded.
    None,
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
            Input::None => "<none>".to_owned(),
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
    /// Whether the format has a header row (TSV and CSV).
    pub fn has_header_row(self) -> bool {
        matches!(self, Format::Tsv | Format::Csv)
    }

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
    /// Write a header row first (TSV: areq's `source_url<TAB>parsed_url`; CSV always
    /// has one). Only TSV and CSV have one: `build` refuses it with another format.
    /// Default off.
    pub header_row: bool,
    /// Append to the output instead of truncating it. Default off.
    pub append: bool,
    /// Keep `#fragment`s on extracted links. Default off.
    pub keep_fragments: bool,
    /// The kinds of links written (`--links`). Default [`LinkKinds::HYPERLINKS`]
    /// (`a`, `area`). A recursive crawl follows only hyperlinks, frames and refreshes
    /// ([`crate::extract::is_followed`]), whatever is written.
    pub links: LinkKinds,
    /// Only links inside elements these CSS selectors match (`--select`). Default
    /// none: links anywhere in the page. With selectors, response-header links are
    /// not written (they are in no element).
    pub select: Option<Select>,
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
    /// A host whose robots.txt asks for a longer `Crawl-delay` is skipped. Default
    /// [`DEFAULT_MAX_CRAWL_DELAY`].
    pub max_crawl_delay: Duration,
    /// Where [`crate::crawl`] writes one JSON record per request (`--pages`). Default
    /// none.
    pub pages: Option<PathBuf>,
    /// Request headers (`-H`). Credential headers (`Authorization`,
    /// `Proxy-Authorization`, `Cookie`) go only to the origins of the listed URLs; the
    /// others with every request. Default none.
    pub headers: Vec<RequestHeader>,
    /// HTTP basic authentication for the origins of the listed URLs (`--user`).
    /// Default none.
    pub basic_auth: Option<BasicAuth>,
    /// A Netscape-format cookie file, read at the start and written at the end
    /// (`--cookie-jar`). Default none: no cookies are kept.
    pub cookie_jar: Option<PathBuf>,
    /// A proxy for every request (`--proxy`). Default none: `HTTP_PROXY`,
    /// `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` are honoured (not with
    /// `block_private`).
    pub proxy: Option<ProxyUrl>,
    /// Also write a one-file HTML report of the crawl here, at its end and on Ctrl-C
    /// (see [`crate::report`]). Default none.
    pub report: Option<PathBuf>,
    /// Keep the crawl's state in this directory so a crawl killed at any moment
    /// resumes where it was, with each page's output written exactly once
    /// (`--state`, see [`StoreFrontier`](crate::frontier::StoreFrontier)). Default
    /// none: the crawl lives in memory.
    pub state: Option<PathBuf>,
    /// With [`Config::state`], how often the outputs are made durable and the state
    /// committed with them: what a crash loses and redoes. Default
    /// [`DEFAULT_COMMIT_INTERVAL`].
    pub commit_interval: Duration,
    /// Share the crawl with other workers through Redis or Valkey at this address
    /// (`redis://HOST:PORT/DB`, `rediss://…`, `redis+cluster://H1:P1,H2:P2`; see
    /// [`RedisFrontier`](crate::frontier::RedisFrontier)), with [`Config::crawl_id`].
    /// Default none: the crawl is this process's alone.
    pub frontier: Option<String>,
    /// The shared crawl's name: every worker with the same id and
    /// [`Config::frontier`] shares one crawl.
    pub crawl_id: Option<String>,
    /// Load each HTML page in headless Chromium and take its links from the DOM its
    /// scripts built (`--render`; cargo feature `render`, see [`crate::render`]).
    /// Default off.
    pub render: bool,
    /// The browser for [`Config::render`] (`--browser`). Default none: `chromium`,
    /// `chromium-browser` or `google-chrome` on the `PATH`.
    pub browser: Option<PathBuf>,
    /// Browser tabs open at once with [`Config::render`]. Default
    /// [`DEFAULT_RENDER_CONCURRENCY`].
    pub render_concurrency: NonZeroUsize,
    /// How long a rendered page may take to load and go idle before its DOM is read
    /// (`--render-wait`). Default [`DEFAULT_RENDER_WAIT`].
    pub render_wait: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            input: Input::Path(DEFAULT_INPUT.into()),
            output: Output::Path(DEFAULT_OUTPUT.into()),
            format: Format::Tsv,
            header_row: false,
            append: false,
            keep_fragments: false,
            links: LinkKinds::HYPERLINKS,
            select: None,
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
            max_crawl_delay: DEFAULT_MAX_CRAWL_DELAY,
            pages: None,
            headers: Vec::new(),
            basic_auth: None,
            cookie_jar: None,
            proxy: None,
            report: None,
            state: None,
            frontier: None,
            crawl_id: None,
            commit_interval: DEFAULT_COMMIT_INTERVAL,
            render: false,
            browser: None,
            render_concurrency: nonzero(DEFAULT_RENDER_CONCURRENCY),
            render_wait: DEFAULT_RENDER_WAIT,
        }
    }
}

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        let config = Config::default();
        ConfigBuilder {
            concurrency: config.concurrency.get(),
            host_concurrency: config.host_concurrency.get(),
            render_concurrency: config.render_concurrency.get(),
            include: Vec::new(),
            exclude: Vec::new(),
            select: Vec::new(),
            config,
        }
    }

    /// Whether discovered links are followed.
    pub fn is_recursive(&self) -> bool {
        self.depth > 0
    }

    /// The settings that define what a crawl fetches and writes, by name, for a crawl
    /// shared across runs or machines to check it is still the same crawl: a resumed
    /// crawl (`--state`) or another worker (`--frontier`) with other values here is a
    /// different crawl. Settings that only change how fast or how loudly (concurrency,
    /// timeouts, politeness, verbosity) are not here, nor the input and output, which
    /// a shared frontier's workers may each have their own of.
    pub fn defining_settings(&self) -> Vec<(&'static str, String)> {
        let patterns = |list: &[Regex]| {
            list.iter()
                .map(Regex::as_str)
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let limit = |n: Option<u64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
        vec![
            ("--depth", self.depth.to_string()),
            ("--scope", format!("{:?}", self.scope).to_lowercase()),
            ("--include", patterns(&self.include)),
            ("--exclude", patterns(&self.exclude)),
            ("--max-pages", limit(self.max_pages)),
            ("--max-pages-per-host", limit(self.max_pages_per_host)),
            ("--max-url-len", self.max_url_len.to_string()),
            ("--format", format!("{:?}", self.format).to_lowercase()),
            ("--keep-fragments", self.keep_fragments.to_string()),
            ("--links", self.links.to_string()),
            (
                "--select",
                self.select
                    .as_ref()
                    .map(|s| s.sources().join(" | "))
                    .unwrap_or_default(),
            ),
            ("--ignore-robots", (!self.respect_robots).to_string()),
            ("--sitemap", self.sitemap.to_string()),
            ("--render", self.render.to_string()),
        ]
    }

    /// Checks every value is in range and the options agree. [`ConfigBuilder::build`]
    /// calls it, and so does [`Crawler::new`](crate::Crawler::new), since the fields
    /// are public and may change after `build`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the option: a zero or over-long duration (over
    /// [`MAX_DURATION`]), a zero body cap, a concurrency over [`MAX_CONCURRENCY`], an
    /// empty or multi-line user agent, `header_row` with a format that has none,
    /// `append` with a whole-document format (DOT, GraphML), a page limit of zero,
    /// `--block-private` with a proxy, both `basic_auth`
    /// and an `Authorization` header, or an output path that is the input file (the
    /// same file, also through a symbolic or hard link).
    pub fn validate(&self) -> Result<(), Error> {
        let c = self;
        let bad = |msg: String| Err(Error::Config(msg));
        let durations = [
            ("timeout", c.timeout, false),
            ("connect timeout", c.connect_timeout, false),
            ("host delay", c.host_delay, true),
            ("retry backoff", c.retry_base, true),
            ("max Retry-After", c.max_retry_after, true),
            ("max Crawl-delay", c.max_crawl_delay, true),
            ("render wait", c.render_wait, false),
        ];
        for (name, d, zero_ok) in durations {
            if d.is_zero() && !zero_ok {
                return bad(format!("the {name} must be greater than zero"));
            }
            if d > MAX_DURATION {
                return bad(format!(
                    "the {name} of {} is longer than the most allowed, {}",
                    humantime::format_duration(d),
                    humantime::format_duration(MAX_DURATION)
                ));
            }
        }
        for (name, n) in [
            ("concurrency", c.concurrency.get()),
            ("host concurrency", c.host_concurrency.get()),
            ("render concurrency", c.render_concurrency.get()),
        ] {
            if n > MAX_CONCURRENCY {
                return bad(format!(
                    "a {name} of {n} is more than the most allowed, {MAX_CONCURRENCY}"
                ));
            }
        }
        if c.max_body == 0 {
            return bad("the body cap must be greater than zero".into());
        }
        if c.render && !cfg!(feature = "render") {
            return bad(
                "--render: this build of crawl has no renderer (cargo feature `render`)".into(),
            );
        }
        if c.max_redirects > 1000 {
            return bad("at most 1000 redirects may be followed".into());
        }
        if c.retries > 100 {
            return bad("at most 100 retries may be made".into());
        }
        if c.user_agent.trim().is_empty() || c.user_agent.contains(['\r', '\n']) {
            return bad("the user agent must be one non-empty line".into());
        }
        if c.header_row && !c.format.has_header_row() {
            return bad(
                "only TSV and CSV have a header row; JSON Lines, DOT and GraphML do not".into(),
            );
        }
        if c.append && c.format.is_document() {
            return bad("DOT and GraphML are whole documents and cannot be appended to".into());
        }
        if c.max_url_len < 16 {
            return bad("the URL length limit must be at least 16 bytes".into());
        }
        if let Some(proxy) = &c.proxy
            && c.block_private
        {
            return bad(format!(
                "--proxy {proxy} cannot be used with --block-private: the proxy resolves \
                 names itself, out of the guard's sight"
            ));
        }
        if c.basic_auth.is_some() && c.headers.iter().any(|h| h.name() == "authorization") {
            return bad("--user and an Authorization header (-H) both set Authorization".into());
        }
        if c.max_pages == Some(0) || c.max_pages_per_host == Some(0) {
            return bad("a page limit must be at least 1".into());
        }
        if let Some(dir) = &c.state {
            if c.output == Output::Stdout {
                return bad(format!(
                    "--state {} needs an output file: stdout cannot be cut back to the last \
                     commit point on resume",
                    dir.display()
                ));
            }
            if c.append {
                return bad(
                    "--state and --append: a resumed crawl appends to its own output".into(),
                );
            }
            if c.report.is_some() {
                return bad(
                    "--report covers one run only; with --state, build the report of the whole \
                     crawl from its --pages file: crawl report PAGES -o REPORT"
                        .into(),
                );
            }
            if c.commit_interval.is_zero() || c.commit_interval > MAX_DURATION {
                return bad(
                    "the commit interval must be greater than zero and at most a day".into(),
                );
            }
        }
        match (&c.frontier, &c.crawl_id) {
            (Some(_), None) => {
                return bad("--frontier needs --crawl-id NAME: the shared crawl to join".into());
            }
            (None, Some(_)) => {
                return bad("--crawl-id names a shared crawl: give its --frontier too".into());
            }
            (Some(_), Some(_)) if c.state.is_some() => {
                return bad(
                    "--state and --frontier: a shared crawl's state is in Redis, and survives \
                     its workers"
                        .into(),
                );
            }
            (None, None) if c.input == Input::None => {
                return bad(
                    "no URL list: only a worker joining a shared crawl (--frontier) \
                            may start without one"
                        .into(),
                );
            }
            _ => {}
        }
        if c.output == Output::Stdout && c.report.as_deref() == Some(std::path::Path::new("-")) {
            return bad("the report and the output cannot both go to stdout".into());
        }
        // Every file the crawl writes is its own, and none is the URL list.
        let mut written: Vec<(&str, &std::path::Path)> = Vec::new();
        if let Output::Path(output) = &c.output {
            written.push(("output", output));
        }
        if let Some(pages) = &c.pages {
            written.push(("--pages file", pages));
        }
        if let Some(report) = &c.report {
            written.push(("report", report));
        }
        for (i, (name, path)) in written.iter().enumerate() {
            if path.as_os_str().is_empty() {
                return bad(format!("the {name} path is empty"));
            }
            if let Input::Path(input) = &c.input
                && (input == path || same_file(input, path))
            {
                return bad(format!(
                    "the {name} {} is the input file: writing it would destroy the URL list",
                    path.display()
                ));
            }
            for (other, other_path) in &written[..i] {
                if path == other_path || same_file(path, other_path) {
                    return bad(format!(
                        "the {name} and the {other} are the same file, {}",
                        path.display()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Builds a validated [`Config`]. Each setter documents its default on the field.
///
/// Setters take plain values (`max_pages(10)`, `user_agent("bot/1.0")`,
/// `concurrency(32)`, `include(["/blog/"])`); [`ConfigBuilder::build`] checks them all
/// at once, so a zero concurrency or a bad pattern is an [`Error::Config`], not a panic.
///
/// ```
/// use crawl::Config;
///
/// let config = Config::builder()
///     .depth(2)
///     .concurrency(32)
///     .max_pages(500)
///     .user_agent("examplebot/1.0 (+https://example.com/bot)")
///     .include(["/docs/"])
///     .build()?;
/// assert_eq!(config.max_pages, Some(500));
/// assert!(Config::builder().concurrency(0).build().is_err());
/// # Ok::<(), crawl::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
    /// [`ConfigBuilder::concurrency`], checked by `build`.
    concurrency: usize,
    /// [`ConfigBuilder::host_concurrency`], checked by `build`.
    host_concurrency: usize,
    /// [`ConfigBuilder::render_concurrency`], checked by `build`.
    render_concurrency: usize,
    /// [`ConfigBuilder::include`], compiled by `build`.
    include: Vec<String>,
    /// [`ConfigBuilder::exclude`], compiled by `build`.
    exclude: Vec<String>,
    /// [`ConfigBuilder::select`], parsed by `build`.
    select: Vec<String>,
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
        /// See [`Config::header_row`].
        header_row: bool,
        /// See [`Config::append`].
        append: bool,
        /// See [`Config::keep_fragments`].
        keep_fragments: bool,
        /// See [`Config::links`].
        links: LinkKinds,
        /// See [`Config::timeout`].
        timeout: Duration,
        /// See [`Config::connect_timeout`].
        connect_timeout: Duration,
        /// See [`Config::max_body`].
        max_body: u64,
        /// See [`Config::max_redirects`].
        max_redirects: usize,
        /// See [`Config::depth`].
        depth: u32,
        /// See [`Config::max_url_len`].
        max_url_len: usize,
        /// See [`Config::scope`].
        scope: Scope,
        /// See [`Config::respect_robots`].
        respect_robots: bool,
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
        /// See [`Config::max_crawl_delay`].
        max_crawl_delay: Duration,
        /// See [`Config::pages`].
        pages: Option<PathBuf>,
        /// See [`Config::headers`].
        headers: Vec<RequestHeader>,
        /// See [`Config::basic_auth`].
        basic_auth: Option<BasicAuth>,
        /// See [`Config::cookie_jar`].
        cookie_jar: Option<PathBuf>,
        /// See [`Config::proxy`].
        proxy: Option<ProxyUrl>,
        /// See [`Config::state`].
        state: Option<PathBuf>,
        /// See [`Config::commit_interval`].
        commit_interval: Duration,
        /// See [`Config::report`].
        report: Option<PathBuf>,
        /// See [`Config::frontier`].
        frontier: Option<String>,
        /// See [`Config::crawl_id`].
        crawl_id: Option<String>,
        /// See [`Config::render`].
        render: bool,
        /// See [`Config::browser`].
        browser: Option<PathBuf>,
        /// See [`Config::render_wait`].
        render_wait: Duration,
    }

    /// See [`Config::render_concurrency`]. `build` refuses 0.
    pub fn render_concurrency(mut self, tabs: usize) -> Self {
        self.render_concurrency = tabs;
        self
    }

    /// See [`Config::concurrency`]. `build` refuses 0.
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests;
        self
    }

    /// See [`Config::host_concurrency`]. `build` refuses 0.
    pub fn host_concurrency(mut self, requests: usize) -> Self {
        self.host_concurrency = requests;
        self
    }

    /// See [`Config::user_agent`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// Fetch at most `pages` pages in all. See [`Config::max_pages`]; `build` refuses 0.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.config.max_pages = Some(pages);
        self
    }

    /// Fetch at most `pages` pages from one host. See [`Config::max_pages_per_host`];
    /// `build` refuses 0.
    pub fn max_pages_per_host(mut self, pages: u64) -> Self {
        self.config.max_pages_per_host = Some(pages);
        self
    }

    /// Regular expressions (`regex` crate syntax) of which a followed URL must match
    /// one; replaces any given before. See [`Config::include`]; `build` compiles them.
    pub fn include<I>(mut self, patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.include = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Regular expressions of which a followed URL must match none; replaces any given
    /// before. See [`Config::exclude`]; `build` compiles them.
    pub fn exclude<I>(mut self, patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.exclude = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// CSS selectors of which a written link's element or an ancestor must match one;
    /// replaces any given before, and none clears them. See [`Config::select`];
    /// `build` parses them.
    pub fn select<I>(mut self, selectors: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.select = selectors.into_iter().map(Into::into).collect();
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a value is out of range or options contradict each other:
    /// a zero concurrency, an include or exclude pattern that is not a valid regex, a
    /// selector that does not parse,
    /// `block_private` with a `resolve` entry to a private address, or anything
    /// [`Config::validate`] refuses.
    pub fn build(self) -> Result<Config, Error> {
        let mut c = self.config;
        let bad = |msg: &str| Err(Error::Config(msg.to_owned()));
        let Some(concurrency) = NonZeroUsize::new(self.concurrency) else {
            return bad("the concurrency must be at least 1");
        };
        c.concurrency = concurrency;
        let Some(host_concurrency) = NonZeroUsize::new(self.host_concurrency) else {
            return bad("the per-host concurrency must be at least 1");
        };
        c.host_concurrency = host_concurrency;
        let Some(tabs) = NonZeroUsize::new(self.render_concurrency) else {
            return bad("the render concurrency must be at least 1");
        };
        c.render_concurrency = tabs;
        c.include = compile("include", &self.include)?;
        c.exclude = compile("exclude", &self.exclude)?;
        if !self.select.is_empty() {
            let select = Select::parse(self.select).map_err(|e| Error::Config(e.to_string()))?;
            c.select = Some(select);
        }
        c.validate()?;
        // `resolve` entries are trusted as given (the guard does not see them); from
        // the command line a private one contradicts --block-private.
        if c.block_private
            && let Some((host, ip)) = c
                .resolve
                .iter()
                .find(|(_, ip)| !crate::guard::is_public(*ip))
        {
            return bad(&format!(
                "{host} is resolved to {ip}, which --block-private refuses"
            ));
        }
        Ok(c)
    }
}

/// Whether both paths exist and are one file: the same device and inode on Unix, so
/// symbolic and hard links count; the same canonical path elsewhere.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// Compiles the `include` or `exclude` patterns, naming the one that is invalid.
fn compile(which: &str, patterns: &[String]) -> Result<Vec<Regex>, Error> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|e| {
                Error::Config(format!(
                    "the {which} pattern {p:?} is not a valid regex: {e}"
                ))
            })
        })
        .collect()
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
        assert!(Config::builder().user_agent("a\nb").build().is_err());
        let err = Config::builder()
            .append(true)
            .format(Format::Dot)
            .build()
            .expect_err("append + dot");
        assert!(err.to_string().contains("appended"), "{err}");
        for format in [Format::Jsonl, Format::Dot, Format::Graphml] {
            let err = Config::builder()
                .header_row(true)
                .format(format)
                .build()
                .expect_err("a header row where there is none");
            assert!(err.to_string().contains("header row"), "{err}");
        }
        for format in [Format::Tsv, Format::Csv] {
            assert!(
                Config::builder()
                    .header_row(true)
                    .format(format)
                    .build()
                    .is_ok()
            );
        }
    }

    #[test]
    fn setters_take_plain_values_and_build_checks_them() {
        let c = Config::builder()
            .concurrency(32)
            .host_concurrency(4)
            .max_pages(10)
            .max_pages_per_host(3)
            .user_agent("bot/1.0")
            .include(["/blog/", "/docs/"])
            .exclude(vec![String::from(r"\.pdf$")])
            .build()
            .expect("valid");
        assert_eq!(c.concurrency.get(), 32);
        assert_eq!(c.host_concurrency.get(), 4);
        assert_eq!(c.max_pages, Some(10));
        assert_eq!(c.max_pages_per_host, Some(3));
        assert_eq!(c.user_agent, "bot/1.0");
        assert_eq!(c.include.len(), 2);
        assert!(c.exclude[0].is_match("https://a.example/x.pdf"));

        for (builder, words) in [
            (Config::builder().concurrency(0), "concurrency"),
            (
                Config::builder().host_concurrency(0),
                "per-host concurrency",
            ),
            (Config::builder().max_pages(0), "page limit"),
            (
                Config::builder().include(["(unclosed"]),
                "include pattern \"(unclosed\"",
            ),
            (Config::builder().exclude(["["]), "exclude pattern"),
        ] {
            let err = builder.build().expect_err(words);
            assert!(err.to_string().contains(words), "{err}");
        }
    }

    #[test]
    fn absurd_values_are_refused_not_overflowed() {
        let huge = Duration::from_secs(u64::MAX / 4);
        for (name, builder) in [
            ("host delay", Config::builder().host_delay(huge)),
            ("timeout", Config::builder().timeout(huge)),
            ("max Retry-After", Config::builder().max_retry_after(huge)),
            ("retry backoff", Config::builder().retry_base(huge)),
            ("concurrency", Config::builder().concurrency(usize::MAX)),
        ] {
            let err = builder.build().expect_err(name);
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        let mut config = Config::builder().build().expect("defaults");
        config.timeout = Duration::ZERO;
        assert!(config.validate().is_err(), "fields changed after build");
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
