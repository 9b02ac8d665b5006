//! Command-line options, kept apart from [`Config`]: [`Cli::to_config`] is the one place
//! where they become a validated configuration.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use crawl::config::{
    Config, DEFAULT_CONCURRENCY, DEFAULT_HOST_CONCURRENCY, DEFAULT_INPUT, DEFAULT_MAX_REDIRECTS,
    DEFAULT_MAX_URL_LEN, DEFAULT_OUTPUT, DEFAULT_RENDER_CONCURRENCY, DEFAULT_RETRIES,
    DEFAULT_USER_AGENT,
};
use crawl::extract::LinkKinds;
use crawl::fetch::{BasicAuth, ProxyUrl, RequestHeader};
use crawl::{Format, Input, Output, Scope};
use regex::Regex;

const EXAMPLES: &str = "\
Examples:
  crawl                                  read urls.txt, write foundurls.txt
  crawl urls.txt -o foundurls.txt -c 128
  crawl - -o - < urls.txt | sort -u      stdin to stdout
  crawl urls.txt --format jsonl -o links.jsonl
  crawl site.txt --depth 3 --scope domain --format dot -o site.dot
  crawl urls.txt --timeout 10s --max-body 2MiB --retries 0 -v
  crawl report pages.jsonl -o r.html     the HTML report of --pages files
  crawl ./report                         crawl the URLs of a file named `report`

Exit codes: 0 the crawl ran to its end (failed pages are reported, not fatal);
1 fatal error (input unreadable, output unwritable); 2 usage error;
3 nothing could be fetched (every URL failed: no network?);
130 interrupted by Ctrl-C (SIGINT); 143 terminated by SIGTERM.";

/// Fetch the pages listed in a file and write every link they contain as
/// `source<TAB>target` pairs.
#[derive(Debug, Parser)]
#[command(
    name = "crawl",
    version,
    after_help = EXAMPLES,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// A command other than crawling (`crawl report`); none: crawl
    #[command(subcommand)]
    pub command: Option<Command>,

    /// File with one URL per line; `-` reads stdin [default: urls.txt; none for a
    /// worker joining a shared crawl with --frontier]
    pub input: Option<String>,

    /// Where to write the pairs; `-` writes stdout
    #[arg(short, long, default_value = DEFAULT_OUTPUT)]
    pub output: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Tsv)]
    pub format: FormatArg,

    /// Write a header row first: TSV `source_url<TAB>parsed_url` (CSV always has one;
    /// JSON Lines, DOT and GraphML have none)
    #[arg(long)]
    pub header_row: bool,

    /// Append to the output instead of truncating it
    #[arg(long)]
    pub append: bool,

    /// Keep `#fragment`s on the links written
    #[arg(long)]
    pub keep_fragments: bool,

    /// Which links to write: `hyperlinks` (a, area), `all`, or a comma list of kinds,
    /// e.g. `a,img,script` (a kind is a tag name, or `header` for the Link and Refresh
    /// headers). Recursion follows only hyperlinks, frames and refreshes
    #[arg(long, value_name = "KINDS", default_value = "hyperlinks")]
    pub links: LinkKinds,

    /// Only links inside elements matching this CSS selector (e.g. 'main, article');
    /// repeatable: a link inside a match of any is written
    #[arg(long, value_name = "CSS")]
    pub select: Vec<String>,

    /// Most requests in flight at once, across all hosts
    #[arg(short, long, value_name = "N", default_value_t = nz(DEFAULT_CONCURRENCY), value_parser = at_least_one)]
    pub concurrency: NonZeroUsize,

    /// Deadline for a whole page: connection, redirects and body (e.g. 30s, 1m)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub timeout: Duration,

    /// Deadline for opening one connection
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub connect_timeout: Duration,

    /// Largest body read, counted after decompression (e.g. 10MiB, 500KB, 1000000)
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = size)]
    pub max_body: u64,

    /// Redirects followed before a page fails
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REDIRECTS)]
    pub max_redirects: usize,

    /// The User-Agent header; robots.txt is matched against its first word
    #[arg(long, value_name = "UA", default_value = DEFAULT_USER_AGENT)]
    pub user_agent: String,

    /// Follow links this many hops from the listed URLs (0: only the listed URLs)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Recursion"
    )]
    pub depth: u32,

    /// Fetch at most this many pages in all
    #[arg(long, value_name = "N", value_parser = positive, help_heading = "Recursion")]
    pub max_pages: Option<u64>,

    /// Fetch at most this many pages from one host
    #[arg(long, value_name = "N", value_parser = positive, help_heading = "Recursion")]
    pub max_pages_per_host: Option<u64>,

    /// Do not follow URLs longer than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_URL_LEN, help_heading = "Recursion")]
    pub max_url_len: usize,

    /// Which links to follow: same host as the listed URL, same registrable domain, or any
    #[arg(long, value_enum, default_value_t = ScopeArg::Host, help_heading = "Recursion")]
    pub scope: ScopeArg,

    /// Follow only URLs matching this regex (repeatable: any may match)
    #[arg(long, value_name = "REGEX", value_parser = regex, help_heading = "Recursion")]
    pub include: Vec<Regex>,

    /// Do not follow URLs matching this regex (repeatable)
    #[arg(long, value_name = "REGEX", value_parser = regex, help_heading = "Recursion")]
    pub exclude: Vec<Regex>,

    /// Also seed from robots.txt `Sitemap:` lines and /sitemap.xml
    #[arg(long, help_heading = "Recursion")]
    pub sitemap: bool,

    /// Do not fetch or obey robots.txt
    #[arg(long, help_heading = "Politeness")]
    pub ignore_robots: bool,

    /// Most requests in flight at once to one host
    #[arg(long, value_name = "N", default_value_t = nz(DEFAULT_HOST_CONCURRENCY), value_parser = at_least_one, help_heading = "Politeness")]
    pub host_concurrency: NonZeroUsize,

    /// Least time between the starts of two requests to one host
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration, help_heading = "Politeness")]
    pub host_delay: Duration,

    /// Retries after a connect error, a timeout, 429, 502, 503 or 504
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES, help_heading = "Politeness")]
    pub retries: u32,

    /// Longest a Retry-After header may hold a host back
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration, help_heading = "Politeness")]
    pub max_retry_after: Duration,

    /// Skip hosts whose robots.txt asks for a longer Crawl-delay (as Nutch does)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration, help_heading = "Politeness")]
    pub max_crawl_delay: Duration,

    /// Refuse loopback, private, link-local and cloud-metadata addresses (after DNS)
    #[arg(long, help_heading = "Safety")]
    pub block_private: bool,

    /// Resolve HOST to IP instead of asking DNS (repeatable), e.g. `example.com=127.0.0.1`
    #[arg(long, value_name = "HOST=IP", value_parser = host_ip, help_heading = "Safety")]
    pub resolve: Vec<(String, std::net::IpAddr)>,

    /// Send this request header (repeatable), e.g. `-H "Accept-Language: de"`;
    /// Authorization, Proxy-Authorization and Cookie go only to the listed URLs' origins
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = request_header, help_heading = "Requests")]
    pub headers: Vec<RequestHeader>,

    /// Basic authentication for the listed URLs' origins (a listed URL's own
    /// `user:password@` comes first for its origin)
    #[arg(short = 'u', long, value_name = "USER:PASSWORD", value_parser = basic_auth, help_heading = "Requests")]
    pub user: Option<BasicAuth>,

    /// Read cookies from FILE at the start, write them back at the end (Netscape format,
    /// as curl and wget); without it no cookies are kept
    #[arg(long, value_name = "FILE", help_heading = "Requests")]
    pub cookie_jar: Option<std::path::PathBuf>,

    /// Send every request through this proxy (http, https, socks5, socks5h); without it
    /// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY apply
    #[arg(long, value_name = "URL", value_parser = proxy, help_heading = "Requests")]
    pub proxy: Option<ProxyUrl>,

    /// More output: -v per-page lines, -vv debug, -vvv trace and other crates' logs (RUST_LOG
    /// overrides)
    #[arg(short, long, action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,

    /// Errors only: no warnings, no summary
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,

    /// No progress bar, even on a terminal
    #[arg(long, help_heading = "Output")]
    pub no_progress: bool,

    /// Also write how every URL ended (status, timing, failure, skip) as JSON Lines
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub pages: Option<std::path::PathBuf>,
    /// Also write a one-file HTML report of the crawl (at its end, and on Ctrl-C)
    #[arg(long, value_name = "FILE.html", help_heading = "Output")]
    pub report: Option<PathBuf>,

    /// Keep the crawl's state in DIR: killed at any moment, the same command resumes
    /// it, each page's output written exactly once
    #[arg(long, value_name = "DIR", help_heading = "Resume")]
    pub state: Option<PathBuf>,
    /// With --state: how often the output is made durable and the state committed
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration, help_heading = "Resume")]
    pub commit_interval: Duration,

    /// Share the crawl with other workers through Redis or Valkey: redis://HOST:PORT/DB,
    /// rediss://…, or redis+cluster://H1:P1,H2:P2
    #[arg(long, value_name = "URL", help_heading = "Shared crawl")]
    pub frontier: Option<String>,
    /// The shared crawl's name: workers with the same --frontier and --crawl-id share
    /// one crawl (letters, digits, '.', '_', '-')
    #[arg(long, value_name = "NAME", help_heading = "Shared crawl")]
    pub crawl_id: Option<String>,
    /// Print the shared crawl's counters (queued, leased, done, failed, hosts) and exit
    #[arg(long, requires = "frontier", help_heading = "Shared crawl")]
    pub status: bool,

    /// Load each HTML page in headless Chromium and take its links from the DOM its
    /// scripts build
    #[arg(long, help_heading = "JavaScript")]
    pub render: bool,
    /// The browser for --render [default: chromium, chromium-browser or google-chrome on
    /// the PATH]
    #[arg(
        long,
        value_name = "PATH",
        requires = "render",
        help_heading = "JavaScript"
    )]
    pub browser: Option<PathBuf>,
    /// Browser tabs open at once with --render
    #[arg(long, value_name = "N", default_value_t = nz(DEFAULT_RENDER_CONCURRENCY), value_parser = at_least_one, help_heading = "JavaScript")]
    pub render_concurrency: NonZeroUsize,
    /// With --render: how long a page may take to load and go idle before its links are read
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration, help_heading = "JavaScript")]
    pub render_wait: Duration,
}

/// Commands other than crawling.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the one-file HTML report of a crawl from its `--pages` files
    Report(ReportArgs),
}

/// `crawl report`.
#[derive(Debug, Args)]
#[command(after_help = "\
Several files (workers of one crawl, or resumed runs) make one report: their records are
aggregated and their summary lines added up. A file without a summary line (a killed run)
still gives a report, marked incomplete.")]
pub struct ReportArgs {
    /// `--pages` files (JSON Lines: one record a line, a summary line last); `-` reads stdin
    #[arg(value_name = "PAGES.jsonl", required = true)]
    pub pages: Vec<PathBuf>,

    /// Where to write the report; `-` writes stdout
    #[arg(short, long, value_name = "FILE.html", default_value = "report.html")]
    pub output: PathBuf,

    /// More output: -v the files read
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Errors only: no warnings, no closing line
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// source<TAB>target
    Tsv,
    /// RFC 4180 with a header row
    Csv,
    /// {"source":…,"target":…,"tag":…,"attr":…} per line
    Jsonl,
    /// Graphviz digraph
    Dot,
    /// GraphML (Gephi, yEd, networkx)
    Graphml,
}

/// `--scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Same host as the listed URL
    Host,
    /// Same registrable domain (public suffix list)
    Domain,
    /// Any http(s) URL
    Any,
}

const fn nz(n: usize) -> NonZeroUsize {
    match NonZeroUsize::new(n) {
        Some(n) => n,
        None => NonZeroUsize::MIN,
    }
}

/// A count of 1 or more, with a message that says so (clap's own for a zero
/// `NonZeroUsize` is "number would be zero for non-zero type").
fn positive(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of 1 or more".into()),
    }
}

fn at_least_one(s: &str) -> Result<NonZeroUsize, String> {
    let n = usize::try_from(positive(s)?).map_err(|_| "too large".to_owned())?;
    Ok(nz(n))
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30s, 500ms, 2m)"))
}

fn size(s: &str) -> Result<u64, String> {
    s.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("{e} (examples: 10MiB, 500KB, 1000000)"))
}

fn host_ip(s: &str) -> Result<(String, std::net::IpAddr), String> {
    let (host, ip) = s
        .split_once('=')
        .ok_or("expected HOST=IP, e.g. example.com=127.0.0.1")?;
    let ip = ip
        .trim_matches(['[', ']'])
        .parse()
        .map_err(|e| format!("{ip:?}: {e}"))?;
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    Ok((host.to_ascii_lowercase(), ip))
}

fn request_header(s: &str) -> Result<RequestHeader, String> {
    s.parse().map_err(|e: crawl::Error| e.to_string())
}

fn basic_auth(s: &str) -> Result<BasicAuth, String> {
    s.parse().map_err(|e: crawl::Error| e.to_string())
}

fn proxy(s: &str) -> Result<ProxyUrl, String> {
    s.parse().map_err(|e: crawl::Error| e.to_string())
}

fn regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| e.to_string())
}

impl Cli {
    /// The validated configuration these options describe.
    pub fn to_config(&self) -> Result<Config, crawl::Error> {
        let mut builder = Config::builder()
            .input(match (&self.input, &self.frontier) {
                (Some(input), _) => Input::from_arg(input),
                (None, Some(_)) => Input::None,
                (None, None) => Input::from_arg(DEFAULT_INPUT),
            })
            .output(Output::from_arg(&self.output))
            .format(match self.format {
                FormatArg::Tsv => Format::Tsv,
                FormatArg::Csv => Format::Csv,
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Dot => Format::Dot,
                FormatArg::Graphml => Format::Graphml,
            })
            .header_row(self.header_row)
            .append(self.append)
            .keep_fragments(self.keep_fragments)
            .links(self.links)
            .select(self.select.iter().cloned())
            .concurrency(self.concurrency.get())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .max_body(self.max_body)
            .max_redirects(self.max_redirects)
            .user_agent(self.user_agent.clone())
            .depth(self.depth)
            .max_url_len(self.max_url_len)
            .scope(match self.scope {
                ScopeArg::Host => Scope::Host,
                ScopeArg::Domain => Scope::Domain,
                ScopeArg::Any => Scope::Any,
            })
            .include(self.include.iter().map(Regex::as_str))
            .exclude(self.exclude.iter().map(Regex::as_str))
            .sitemap(self.sitemap)
            .respect_robots(!self.ignore_robots)
            .host_concurrency(self.host_concurrency.get())
            .host_delay(self.host_delay)
            .retries(self.retries)
            .max_retry_after(self.max_retry_after)
            .max_crawl_delay(self.max_crawl_delay)
            .pages(self.pages.clone())
            .block_private(self.block_private)
            .resolve(self.resolve.clone())
            .headers(self.headers.clone())
            .basic_auth(self.user.clone())
            .cookie_jar(self.cookie_jar.clone())
            .proxy(self.proxy.clone())
            .report(self.report.clone())
            .state(self.state.clone())
            .commit_interval(self.commit_interval)
            .frontier(self.frontier.clone())
            .crawl_id(self.crawl_id.clone())
            .render(self.render)
            .browser(self.browser.clone())
            .render_concurrency(self.render_concurrency.get())
            .render_wait(self.render_wait);
        if let Some(pages) = self.max_pages {
            builder = builder.max_pages(pages);
        }
        if let Some(pages) = self.max_pages_per_host {
            builder = builder.max_pages_per_host(pages);
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawl::config;

    #[test]
    fn no_flags_give_the_library_defaults() {
        let cli = Cli::try_parse_from(["crawl"]).expect("parses");
        let c = cli.to_config().expect("valid");
        let d = Config::default();
        assert_eq!(c.input, d.input);
        assert_eq!(c.output, d.output);
        assert_eq!(c.concurrency, d.concurrency);
        assert_eq!(c.timeout, config::DEFAULT_TIMEOUT);
        assert_eq!(c.connect_timeout, config::DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(c.max_body, config::DEFAULT_MAX_BODY);
        assert_eq!(c.max_redirects, d.max_redirects);
        assert_eq!(c.user_agent, d.user_agent);
        assert_eq!(c.host_concurrency, d.host_concurrency);
        assert_eq!(c.host_delay, config::DEFAULT_HOST_DELAY);
        assert_eq!(c.retries, d.retries);
        assert_eq!(c.max_retry_after, config::DEFAULT_MAX_RETRY_AFTER);
        assert_eq!(c.depth, d.depth);
        assert_eq!(c.max_url_len, d.max_url_len);
        assert_eq!(c.respect_robots, d.respect_robots);
        assert_eq!(c.format, d.format);
    }

    #[test]
    fn parses_units() {
        let cli = Cli::try_parse_from([
            "crawl",
            "--max-body",
            "2MiB",
            "--timeout",
            "1m 30s",
            "-c",
            "3",
        ])
        .expect("parses");
        assert_eq!(cli.max_body, 2 * 1024 * 1024);
        assert_eq!(cli.timeout, Duration::from_secs(90));
        assert_eq!(cli.concurrency.get(), 3);
        assert!(Cli::try_parse_from(["crawl", "--timeout", "soon"]).is_err());
    }

    #[test]
    fn a_zero_count_says_it_must_be_at_least_one() {
        for flag in [
            "--concurrency",
            "--host-concurrency",
            "--max-pages",
            "--max-pages-per-host",
        ] {
            let err = Cli::try_parse_from(["crawl", flag, "0"]).expect_err(flag);
            let text = err.to_string();
            assert!(text.contains(flag), "{text}");
            assert!(text.contains("must be at least 1"), "{text}");
            assert!(!text.contains("non-zero type"), "{text}");
            let err = Cli::try_parse_from(["crawl", flag, "many"]).expect_err(flag);
            assert!(err.to_string().contains("1 or more"), "{err}");
        }
        assert!(Cli::try_parse_from(["crawl", "--timeout", "soon"]).is_err());
    }
}
