//! What both servers share: the received exports, the fault to inject, the stop signal.

use std::sync::{Mutex, MutexGuard, PoisonError};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use tokio::sync::{Notify, watch};

use crate::export::{Behavior, ReceivedExport};
use crate::log::ReceivedLog;
use crate::span::{ReceivedSpan, flatten_into};

/// The decoded body of an export.
pub(crate) enum Payload {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
    /// The body did not decode; the raw bytes are still kept.
    Undecodable,
}

struct Record {
    export: ReceivedExport,
    payload: Payload,
}

/// How a handler answers once the injected behaviour has played out.
pub(crate) enum Reply {
    Accept,
    Fail,
    /// The receiver is shutting down while the request was held.
    Unavailable,
}

pub(crate) struct Store {
    records: Mutex<Vec<Record>>,
    behavior: Mutex<Behavior>,
    arrivals: Notify,
    stop: watch::Sender<bool>,
}

// A panicking test thread must not hide what was received from the others.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            records: Mutex::new(Vec::new()),
            behavior: Mutex::new(Behavior::Normal),
            arrivals: Notify::new(),
            stop: watch::Sender::new(false),
        }
    }

    pub(crate) fn record(&self, export: ReceivedExport, payload: Payload) {
        lock(&self.records).push(Record { export, payload });
        self.arrivals.notify_waiters();
    }

    /// Waits for the next recorded export; registered before returning, so an export
    /// recorded between a check and the wait is not missed if `enable` is called first.
    pub(crate) fn arrival(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrivals.notified()
    }

    pub(crate) fn set_behavior(&self, behavior: Behavior) {
        *lock(&self.behavior) = behavior;
    }

    /// Plays out the current behaviour for one request.
    pub(crate) async fn reply(&self) -> Reply {
        let behavior = *lock(&self.behavior);
        match behavior {
            Behavior::Normal => Reply::Accept,
            Behavior::Status500 => Reply::Fail,
            Behavior::Hang => {
                self.stopped().await;
                Reply::Unavailable
            }
            Behavior::Slow(delay) => tokio::select! {
                () = tokio::time::sleep(delay) => Reply::Accept,
                () = self.stopped() => Reply::Unavailable,
            },
        }
    }

    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    pub(crate) async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        // An error means the sender is gone, which only happens once the store is dropped.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }

    pub(crate) fn exports(&self) -> Vec<ReceivedExport> {
        lock(&self.records)
            .iter()
            .map(|r| r.export.clone())
            .collect()
    }

    pub(crate) fn spans(&self) -> Vec<ReceivedSpan> {
        let mut spans = Vec::new();
        for record in lock(&self.records).iter() {
            if let Payload::Traces(request) = &record.payload {
                flatten_into(request, &mut spans);
            }
        }
        spans
    }

    pub(crate) fn span_count(&self) -> usize {
        lock(&self.records)
            .iter()
            .filter_map(|r| match &r.payload {
                Payload::Traces(t) => Some(t),
                _ => None,
            })
            .flat_map(|t| &t.resource_spans)
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum()
    }

    pub(crate) fn metrics(&self) -> Vec<ResourceMetrics> {
        lock(&self.records)
            .iter()
            .filter_map(|r| match &r.payload {
                Payload::Metrics(m) => Some(m.resource_metrics.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub(crate) fn logs(&self) -> Vec<ReceivedLog> {
        let mut logs = Vec::new();
        for record in lock(&self.records).iter() {
            if let Payload::Logs(request) = &record.payload {
                crate::log::flatten_into(request, &mut logs);
            }
        }
        logs
    }

    pub(crate) fn log_count(&self) -> usize {
        lock(&self.records)
            .iter()
            .map(|r| match &r.payload {
                Payload::Logs(request) => crate::log::count(request),
                _ => 0,
            })
            .sum()
    }

    pub(crate) fn total_bytes(&self) -> usize {
        lock(&self.records)
            .iter()
            .map(|r| r.export.raw_body.len())
            .sum()
    }

    pub(crate) fn clear(&self) {
        lock(&self.records).clear();
    }
}
