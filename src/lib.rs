//! Test and example support for the mistral-otel workspace: an in-memory telemetry
//! pipeline that also counts started versus ended spans, and span-tree assertions.
#![deny(missing_docs)]
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry::trace::{SpanId, SpanKind};
use opentelemetry::{Context, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, Span, SpanData, SpanProcessor,
};

/// The repository's copy of the shared Mistral fixtures.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mistral")
}

/// Counts spans started and ended, to prove every started span ends.
#[derive(Debug, Default)]
pub struct SpanCounter {
    started: AtomicUsize,
    ended: AtomicUsize,
}

impl SpanCounter {
    /// Spans started so far.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
    /// Spans ended so far.
    pub fn ended(&self) -> usize {
        self.ended.load(Ordering::SeqCst)
    }
}

/// A span processor that counts started and ended spans into a [`SpanCounter`].
#[derive(Debug)]
pub struct CountingProcessor(pub Arc<SpanCounter>);

impl SpanProcessor for CountingProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {
        self.0.started.fetch_add(1, Ordering::SeqCst);
    }
    fn on_end(&self, _span: SpanData) {
        self.0.ended.fetch_add(1, Ordering::SeqCst);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// An in-memory tracer and meter provider pair for tests.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// The tracer provider to hand to the middleware.
    pub provider: SdkTracerProvider,
    /// The meter provider to hand to the middleware.
    pub meter_provider: SdkMeterProvider,
    exporter: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    counter: Arc<SpanCounter>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// A fresh pipeline.
    pub fn new() -> Self {
        let exporter = InMemorySpanExporter::default();
        let counter = Arc::new(SpanCounter::default());
        let provider = SdkTracerProvider::builder()
            .with_span_processor(CountingProcessor(counter.clone()))
            .with_simple_exporter(exporter.clone())
            .build();
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        Self {
            provider,
            meter_provider,
            exporter,
            metrics,
            counter,
        }
    }

    /// Every finished span.
    pub fn spans(&self) -> Vec<SpanData> {
        self.exporter.get_finished_spans().expect("in-memory spans")
    }

    /// Forget finished spans.
    pub fn reset(&self) {
        self.exporter.reset();
    }

    /// Started / ended counts.
    pub fn counter(&self) -> &SpanCounter {
        &self.counter
    }

    /// Collect and return the metrics recorded so far (cumulative: one collection).
    pub fn metrics(&self) -> Vec<opentelemetry_sdk::metrics::data::ResourceMetrics> {
        self.metrics.reset();
        self.meter_provider.force_flush().expect("flush metrics");
        self.metrics
            .get_finished_metrics()
            .expect("in-memory metrics")
    }
}

/// An attribute's value.
pub fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// An attribute as a string (any type, displayed).
pub fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

/// An integer attribute.
pub fn attr_i64(span: &SpanData, key: &str) -> Option<i64> {
    match attr(span, key)? {
        Value::I64(v) => Some(*v),
        _ => None,
    }
}

/// The one span with this name; panics (test failure) otherwise.
pub fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one span named {name:?}, got {}: {:?}",
        found.len(),
        names(spans)
    );
    found[0]
}

/// Span names, in export order.
pub fn names(spans: &[SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

/// The children of a span, ordered by start time.
pub fn children<'a>(spans: &'a [SpanData], parent: &SpanData) -> Vec<&'a SpanData> {
    let mut c: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_context.span_id())
        .collect();
    c.sort_by_key(|s| s.start_time);
    c
}

/// Every span whose parent is in `spans` starts and ends inside that parent, and has
/// the same trace id.
pub fn assert_children_inside_parents(spans: &[SpanData]) {
    for child in spans {
        if child.parent_span_id == SpanId::INVALID {
            continue;
        }
        if let Some(parent) = spans
            .iter()
            .find(|p| p.span_context.span_id() == child.parent_span_id)
        {
            assert_eq!(
                child.span_context.trace_id(),
                parent.span_context.trace_id()
            );
            assert!(
                child.start_time >= parent.start_time,
                "{} starts before its parent {}",
                child.name,
                parent.name
            );
            assert!(
                child.end_time <= parent.end_time,
                "{} ends after its parent {} ({:?} > {:?})",
                child.name,
                parent.name,
                child.end_time,
                parent.end_time
            );
            assert!(
                child.start_time <= child.end_time,
                "{} ends before it starts",
                child.name
            );
        }
    }
}

/// A compact, comparable shape of a trace: (depth, name, kind) in tree order.
pub fn tree_shape(spans: &[SpanData]) -> Vec<(usize, String, String)> {
    fn walk(
        spans: &[SpanData],
        span: &SpanData,
        depth: usize,
        out: &mut Vec<(usize, String, String)>,
    ) {
        out.push((
            depth,
            span.name.to_string(),
            kind_name(&span.span_kind).to_owned(),
        ));
        for c in children(spans, span) {
            walk(spans, c, depth + 1, out);
        }
    }
    let mut roots: Vec<&SpanData> = spans
        .iter()
        .filter(|s| {
            !spans
                .iter()
                .any(|p| p.span_context.span_id() == s.parent_span_id)
        })
        .collect();
    roots.sort_by_key(|s| s.start_time);
    let mut out = Vec::new();
    for r in roots {
        walk(spans, r, 0, &mut out);
    }
    out
}

/// `CLIENT`, `INTERNAL`, ...
pub fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "CLIENT",
        SpanKind::Server => "SERVER",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
        SpanKind::Internal => "INTERNAL",
    }
}
