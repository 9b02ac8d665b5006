//! The writer task: the one place that applies what workers return. For each ended
//! request it hands the record and links to the sink, counts it, and only then ends
//! its lease in the frontier (with the links the crawl follows), so a page is never
//! marked done before its links were handed to the sink.
//!
//! It flushes the sink when no work has come for a moment (not after every page: a
//! flush is a system call, and in a fast crawl the channel is empty between most
//! pages), and finishes the sink when every sender is gone.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::engine::{End, Finished, Shared, Work};
use crate::error::Error;
use crate::frontier::{Done, Frontier, Kind, Lease, Verdict};
use crate::sink::{PageLinks, Sink};
use crate::stats::{LeftOut, bump};

/// How long the writer waits for more work before it flushes what it holds.
const FLUSH_IDLE: Duration = Duration::from_millis(50);

/// Runs until every sender is gone. On error the crawl is stopped and the rest of the
/// work is dropped.
pub(crate) async fn apply<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    mut rx: mpsc::Receiver<Work>,
    sink: &mut S,
) -> Result<(), Error> {
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
        let Some(work) = next else { break };
        dirty |= match work {
            Work::Record(record) => {
                let page = PageLinks {
                    record: *record,
                    links: Vec::new(),
                };
                write(shared, sink, &page).await?;
                true
            }
            Work::Leased { lease, end, slot } => {
                let written = end_lease(shared, sink, lease, end).await?;
                drop(slot);
                written
            }
        };
    }
    Ok(())
}

/// Applies one ended lease; returns whether the sink was written to.
async fn end_lease<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    lease: Lease,
    end: End,
) -> Result<bool, Error> {
    let finished = match end {
        End::Finished(finished) => finished,
        End::Abandoned => {
            shared.frontier.release(lease).await?;
            return Ok(false);
        }
        End::Failed(e) => return Err(e),
    };
    let Finished {
        record,
        links,
        follow,
        retry_in,
        hosts,
        left_out,
    } = *finished;
    let final_attempt = retry_in.is_none();
    let done = Done {
        outcome: record.outcome.clone(),
        retry_in,
        hosts,
        links: follow,
    };
    if final_attempt {
        write(shared, sink, &PageLinks { record, links }).await?;
    } else {
        bump(&shared.stats.retries);
        shared.stats.body_bytes.fetch_add(record.bytes, Relaxed);
    }
    for (rule, n) in left_out {
        shared.stats.leave_out(rule, n);
    }
    let verdicts = shared.frontier.complete(lease, done).await?;
    for verdict in verdicts {
        let rule = match verdict {
            Verdict::Queued | Verdict::Seen => continue,
            Verdict::MaxPages => LeftOut::MaxPages,
            Verdict::HostBudget => LeftOut::HostBudget,
            Verdict::Depth => LeftOut::Depth,
        };
        shared.stats.leave_out(rule, 1);
    }
    Ok(final_attempt)
}

async fn write<F, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    page: &PageLinks,
) -> Result<(), Error> {
    sink.write_page(page).await?;
    let stats = &shared.stats;
    stats.count(&page.record);
    if page.record.is_fetched() && page.record.kind == Kind::Page {
        bump(&stats.pages_written);
        stats
            .links_written
            .fetch_add(page.links.len() as u64, Relaxed);
        tracing::info!(
            "Wrote results for source URL: {}",
            crate::redact::url(page.source())
        );
    }
    Ok(())
}
