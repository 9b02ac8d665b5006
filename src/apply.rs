//! The writer task: the one place that applies what workers return. For each ended
//! request it hands the record and links to the sink, counts it, and only then ends
//! its lease in the frontier (with the links the crawl follows), so a page is never
//! marked done before its links were handed to the sink.
//!
//! It flushes the sink when no work has come for a moment (not after every page: a
//! flush is a system call, and in a fast crawl the channel is empty between most
//! pages), and finishes the sink when every sender is gone.
//!
//! With a durable frontier it also takes the commit points, every
//! [`Config::commit_interval`](crate::Config::commit_interval): between two pages,
//! every completed lease has had its page written, so the sink's files made durable
//! now and the frontier's state committed with their lengths agree exactly.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::engine::{End, Finished, Shared, Work};
use crate::error::Error;
use crate::frontier::{Checkpoint, Done, Frontier, Kind, Lease, Request, Verdict};
use crate::record::{Outcome, PageRecord, SkipReason};
use crate::sink::{Committed, PageLinks, Sink};
use crate::stats::{LeftOut, Stats, bump};

/// Leases ended together at most (those waiting in the channel).
const BATCH: usize = 64;

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
    let durable = shared.frontier.durable();
    let every = shared.config.commit_interval;
    let mut next_commit = tokio::time::Instant::now() + every;
    let mut uncommitted = false;
    // The last commit point's sync and transaction, running while pages go on.
    let mut writing: Option<tokio::task::JoinHandle<Result<(), Error>>> = None;
    loop {
        if uncommitted
            && (tokio::time::Instant::now() >= next_commit || shared.frontier.wants_commit())
        {
            if let Some(previous) = writing.take() {
                joined(previous.await)?;
            }
            let commit = commit(&*shared.frontier, &shared.stats, sink, false).await?;
            writing = Some(tokio::spawn(commit));
            (uncommitted, dirty) = (false, false);
            next_commit = tokio::time::Instant::now() + every;
        }
        let idle_flush = dirty && rx.is_empty();
        let next = if idle_flush || uncommitted {
            let wake = if idle_flush {
                tokio::time::Instant::now() + FLUSH_IDLE
            } else {
                next_commit
            };
            match tokio::time::timeout_at(wake, rx.recv()).await {
                Ok(next) => next,
                Err(_idle) => {
                    if idle_flush {
                        sink.flush().await?;
                        dirty = false;
                    }
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let Some(work) = next else { break };
        uncommitted |= durable;
        dirty |= match work {
            Work::Seeds { batch, pushed } => seeds(shared, sink, batch, pushed).await?,
            Work::Leased { lease, end, slot } => {
                // The leases that ended meanwhile go with it: a frontier with round
                // trips ends them in one.
                let mut ended = vec![(lease, end, slot)];
                let mut after = None;
                while ended.len() < BATCH {
                    match rx.try_recv() {
                        Ok(Work::Leased { lease, end, slot }) => ended.push((lease, end, slot)),
                        Ok(other) => {
                            after = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let mut written = end_leases(shared, sink, ended).await?;
                if let Some(Work::Seeds { batch, pushed }) = after {
                    written |= seeds(shared, sink, batch, pushed).await?;
                }
                written
            }
        };
    }
    if let Some(previous) = writing.take() {
        joined(previous.await)?;
    }
    Ok(())
}

/// Pushes a batch of listed URLs and answers `pushed`.
async fn seeds<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    batch: Vec<Request>,
    pushed: tokio::sync::oneshot::Sender<Result<(), Error>>,
) -> Result<bool, Error> {
    let result = push_seeds(shared, sink, batch).await;
    let failed = result.as_ref().err().map(ToString::to_string);
    let _ = pushed.send(result);
    match failed {
        Some(e) => Err(Error::Frontier(e.into())),
        None => Ok(true),
    }
}

fn joined(result: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    result.map_err(|e| Error::Frontier(Box::new(e)))?
}

/// Takes a commit point: the sink writes out what it holds and the frontier takes its
/// state as of now (between two pages, so the two agree exactly). Returns what is
/// left to do, which may run in the background while the crawl goes on: sync the
/// sink's files, then write the frontier's state with their lengths and the counters
/// (`ended`: the crawl has run to its end).
pub(crate) async fn commit<F: Frontier, S: Sink>(
    frontier: &F,
    stats: &Stats,
    sink: &mut S,
    ended: bool,
) -> Result<impl Future<Output = Result<(), Error>> + Send + 'static, Error> {
    let mut committed = Committed::default();
    sink.checkpoint(&mut committed).await?;
    let checkpoint = Checkpoint {
        outputs: committed.lengths.clone(),
        summary: stats.checkpoint_summary(),
        ended,
    };
    let write = frontier.commit(checkpoint);
    Ok(async move {
        committed.sync().await?;
        write.await
    })
}

/// Pushes listed URLs, counts their verdicts and records the ones a limit left out.
async fn push_seeds<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    batch: Vec<Request>,
) -> Result<(), Error> {
    let stats = &shared.stats;
    let verdicts = shared.frontier.push(batch.clone()).await?;
    // A resumed crawl reads its list again: what an earlier run listed is not a
    // duplicate.
    let resumed = stats.is_resumed();
    for (request, verdict) in batch.into_iter().zip(verdicts) {
        let skip = match verdict {
            Verdict::Queued => {
                bump(&stats.listed);
                continue;
            }
            Verdict::Seen if resumed => continue,
            Verdict::Seen | Verdict::Depth => {
                bump(&stats.duplicates);
                continue;
            }
            Verdict::MaxPages => (SkipReason::MaxPages, "--max-pages was reached"),
            Verdict::HostBudget => (
                SkipReason::HostBudget,
                "its host's --max-pages-per-host budget was used up",
            ),
        };
        // A listed URL a limit left out gets a record: the user asked for it.
        let outcome = Outcome::Skipped {
            reason: skip.0,
            message: format!("not fetched: {}", skip.1),
        };
        let page = PageLinks {
            record: PageRecord::new(request.url, request.kind, outcome),
            links: Vec::new(),
        };
        write(shared, sink, &page).await?;
    }
    Ok(())
}

/// Applies ended leases: writes each page, then ends the leases in the frontier
/// together (with the links the crawl follows), then gives back the workers'
/// permits. Returns whether the sink was written to.
async fn end_leases<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    ended: Vec<(Lease, End, crate::engine::Slot)>,
) -> Result<bool, Error> {
    let mut done = Vec::with_capacity(ended.len());
    let mut slots = Vec::with_capacity(ended.len());
    let mut written = false;
    for (lease, end, slot) in ended {
        slots.push(slot);
        if let Some((lease, finished, wrote)) = written_out(shared, sink, lease, end).await? {
            written |= wrote;
            done.push((lease, finished));
        }
    }
    if written && shared.frontier.outlives_worker() {
        // Other workers go on when this one dies: once a lease is completed no one
        // fetches its page again, so its lines must be out of this process first (a
        // worker killed between the two leaves those pages in two outputs, never in
        // none).
        sink.flush().await?;
    }
    if !done.is_empty() {
        for verdicts in shared.frontier.complete_all(done).await? {
            for verdict in verdicts {
                let rule = match verdict {
                    Verdict::Queued | Verdict::Seen => continue,
                    Verdict::MaxPages => LeftOut::MaxPages,
                    Verdict::HostBudget => LeftOut::HostBudget,
                    Verdict::Depth => LeftOut::Depth,
                };
                shared.stats.leave_out(rule, 1);
            }
        }
    }
    drop(slots);
    Ok(written)
}

/// The first half of ending a lease: an abandoned one is released; a finished one
/// has its page written (on its final attempt) and is returned with what ends it in
/// the frontier, and whether the sink was written to.
async fn written_out<F: Frontier, S: Sink>(
    shared: &Shared<F>,
    sink: &mut S,
    lease: Lease,
    end: End,
) -> Result<Option<(Lease, Done, bool)>, Error> {
    let finished = match end {
        End::Finished(finished) => finished,
        End::Abandoned => {
            shared.frontier.release(lease).await?;
            return Ok(None);
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
    if lease.request.counts_as_page() {
        bump(&shared.stats.requested_ended);
    }
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
    Ok(Some((lease, done, final_attempt)))
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
