//! Embedding crawl: a custom [`Sink`] that builds a link graph in memory, a recursive
//! crawl with a cancellation token, and the summary.
//!
//! Run it with `cargo run --example embed`: it serves a tiny three-page site on
//! 127.0.0.1 (nothing else is contacted) and crawls it from its front page. Pass URLs
//! as arguments to crawl those instead.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crawl::{CancellationToken, Config, Crawler, PageLinks, Seeds, Sink, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Collects `source -> [targets]` into a shared map.
#[derive(Clone, Default)]
struct GraphSink {
    graph: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
}

impl Sink for GraphSink {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), crawl::Error> {
        // Failed and skipped URLs come here too, with their records; keep pages.
        if !page.record.is_fetched() {
            return Ok(());
        }
        let targets = page.links.iter().map(|l| l.url.to_string()).collect();
        if let Ok(mut graph) = self.graph.lock() {
            graph.insert(page.source().to_string(), targets);
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: Vec<Url> = if args.is_empty() {
        vec![serve_demo_site().await?]
    } else {
        args.iter()
            .map(|a| Url::parse(a))
            .collect::<Result<_, _>>()?
    };

    let config = Config::builder().depth(2).build()?;
    let crawler = Crawler::new(config)?;
    let frontier = crawler.memory_frontier();
    let sink = GraphSink::default();
    let cancel = CancellationToken::new();
    // Ctrl-C stops the crawl; pages already parsed still reach the sink.
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });

    let summary = crawler
        .run(Seeds::from_urls(seeds), frontier, sink.clone(), cancel)
        .await?;

    let graph = sink.graph.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    for (source, targets) in graph.iter() {
        println!("{source}");
        for target in targets {
            println!("  -> {target}");
        }
    }
    eprintln!("{summary}");
    Ok(())
}

/// Serves three pages on 127.0.0.1 and returns the front page's URL.
async fn serve_demo_site() -> std::io::Result<Url> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let Ok(n) = stream.read(&mut buf).await else {
                    return;
                };
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = match path {
                    "/" => (
                        "200 OK",
                        r#"<a href="/about">About</a> <a href="/blog/">Blog</a>"#,
                    ),
                    "/about" => (
                        "200 OK",
                        r#"<a href="/">Home</a> <a href="mailto:me@example.com">Mail</a>"#,
                    ),
                    "/blog/" => (
                        "200 OK",
                        r#"<a href="../about#team">Team</a> <a href="https://example.com/">Elsewhere</a>"#,
                    ),
                    _ => ("404 Not Found", "<p>nothing here</p>"),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(Url::parse(&format!("http://{addr}/")).expect("a socket address makes a valid URL"))
}
