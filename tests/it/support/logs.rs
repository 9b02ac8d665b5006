//! Captures the library's tracing events, and when its spans open, per test.
//!
//! The subscriber is the thread's default, so it sees the events of every task only on
//! a current-thread runtime: plain `#[tokio::test]`, which is what the tests use.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One event: its level and message (other fields appended as `k=v`). The
/// fields of enclosing spans are deliberately left out, so "the warning names the
/// URL" means the message itself does.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The level.
    pub level: Level,
    /// The message and the event's own fields.
    pub message: String,
}

/// One span as it opened: its name, its fields (`k=v`), and when.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The span's name.
    pub name: &'static str,
    /// Its fields at creation, as `k=v`.
    pub fields: String,
    /// When it was created.
    pub at: Instant,
}

/// The events and span openings captured so far.
#[derive(Debug, Clone, Default)]
pub struct Logs {
    events: Arc<Mutex<Vec<Captured>>>,
    spans: Arc<Mutex<Vec<Opened>>>,
}

impl Logs {
    /// Spans named `name`, in the order they opened. The engine opens a `page` span
    /// (`url=…`) as it dispatches each request: the moment politeness is about.
    pub fn opened(&self, name: &str) -> Vec<Opened> {
        let spans = self.spans.lock().expect("logs");
        spans.iter().filter(|s| s.name == name).cloned().collect()
    }

    /// Every event.
    pub fn all(&self) -> Vec<Captured> {
        self.events.lock().expect("logs").clone()
    }

    /// Messages of `WARN` events.
    pub fn warnings(&self) -> Vec<String> {
        self.at(Level::WARN)
    }

    /// Messages of `ERROR` events.
    pub fn errors(&self) -> Vec<String> {
        self.at(Level::ERROR)
    }

    fn at(&self, level: Level) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|e| e.level == level)
            .map(|e| e.message)
            .collect()
    }

    /// Asserts there is exactly one warning, that it contains every one of `needles`,
    /// and returns it.
    #[track_caller]
    pub fn one_warning(&self, needles: &[&str]) -> String {
        let warnings = self.warnings();
        assert_eq!(warnings.len(), 1, "expected one warning, got {warnings:#?}");
        let warning = warnings[0].clone();
        for needle in needles {
            assert!(
                warning.contains(needle),
                "the warning {warning:?} does not contain {needle:?}"
            );
        }
        warning
    }
}

/// Installs a capturing subscriber as this thread's default until the guard drops.
pub fn capture_logs() -> (Logs, DefaultGuard) {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::registry().with(CaptureLayer { logs: logs.clone() });
    let guard = tracing::subscriber::set_default(subscriber);
    (logs, guard)
}

struct CaptureLayer {
    logs: Logs,
}

impl<S: Subscriber> Layer<S> for CaptureLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let at = Instant::now();
        let mut visitor = Message::default();
        attrs.record(&mut visitor);
        self.logs.spans.lock().expect("logs").push(Opened {
            name: attrs.metadata().name(),
            fields: visitor.0,
            at,
        });
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = Message::default();
        event.record(&mut visitor);
        self.logs.events.lock().expect("logs").push(Captured {
            level: *event.metadata().level(),
            message: visitor.0,
        });
    }
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let mut rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}");
            if !rest.is_empty() {
                self.0.push(' ');
                self.0.push_str(&rest);
                rest.clear();
            }
        } else {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}
