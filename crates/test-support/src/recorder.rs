//! The in-memory telemetry pipeline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLogRecord, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, Span, SpanData, SpanProcessor,
};

/// Counts spans started and ended.
///
/// The SDK ends a span by itself when its last reference goes, so `started == ended` after
/// a response was dropped proves nothing about the instrumentation; compare
/// [`SpanCounter::started`] with the spans *exported while the response is still held*
/// instead ([`crate::mock::Held`]).
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

/// An in-memory tracer and meter provider pair. Spans go to the exporter when they end.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// The tracer provider to hand to the middleware.
    pub provider: SdkTracerProvider,
    /// The meter provider to hand to the middleware.
    pub meter_provider: SdkMeterProvider,
    /// The logger provider to hand to the middleware (GenAI events).
    pub logger_provider: SdkLoggerProvider,
    logs: InMemoryLogExporter,
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
        let logs = InMemoryLogExporter::default();
        let logger_provider = SdkLoggerProvider::builder()
            .with_simple_exporter(logs.clone())
            .build();
        Self {
            provider,
            meter_provider,
            logger_provider,
            logs,
            exporter,
            metrics,
            counter,
        }
    }

    /// Every span exported so far (a span is exported when it ends).
    pub fn spans(&self) -> Vec<SpanData> {
        self.exporter.get_finished_spans().expect("in-memory spans")
    }

    /// Every log record emitted so far (GenAI events).
    pub fn logs(&self) -> Vec<SdkLogRecord> {
        self.logs
            .get_emitted_logs()
            .expect("in-memory logs")
            .into_iter()
            .map(|l| l.record)
            .collect()
    }

    /// Forget exported spans and logs and the started / ended counts (call it between
    /// calls, not during one).
    pub fn reset(&self) {
        self.exporter.reset();
        self.logs.reset();
        self.counter.started.store(0, Ordering::SeqCst);
        self.counter.ended.store(0, Ordering::SeqCst);
    }

    /// Started / ended counts.
    pub fn counter(&self) -> &SpanCounter {
        &self.counter
    }

    /// Assert that every span started so far has been exported: call it while the
    /// response is still held, so that the SDK's end-on-drop cannot have done the work.
    pub fn assert_all_exported(&self, what: &str) -> Vec<SpanData> {
        let spans = self.spans();
        assert_eq!(
            spans.len(),
            self.counter.started(),
            "{what}: {} spans started, {} exported before the response was dropped",
            self.counter.started(),
            spans.len()
        );
        spans
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
