//! Console export, for development: see traces, metrics and log records without running a
//! backend.
//!
//! * [`ConsoleExporter`] prints each finished trace as an indented tree (the
//!   [`render_tree`] format) as soon as its root span ends.
//! * [`ConsoleMetricExporter`] prints each metrics export as plain lines.
//! * [`ConsoleLogExporter`] prints one line per log record (GenAI events): event name,
//!   severity, trace and span id, attributes.
//!
//! All write to standard error by default, or to any `Write + Send`.
//! [`OtlpConfig::traces_exporter`](crate::OtlpConfig::traces_exporter),
//! [`OtlpConfig::metrics_exporter`](crate::OtlpConfig::metrics_exporter) and
//! [`OtlpConfig::logs_exporter`](crate::OtlpConfig::logs_exporter) with
//! [`SignalExporter::Console`](crate::SignalExporter::Console), or
//! `OTEL_TRACES_EXPORTER=console` / `OTEL_METRICS_EXPORTER=console` /
//! `OTEL_LOGS_EXPORTER=console`, select them; they then share one writer
//! ([`OtlpConfig::console_writer`](crate::OtlpConfig::console_writer)), so a tree, a
//! metrics report and a log line never interleave.
//!
//! ```text
//! trace 4bf92f3577b34da6a3ce929d0e0e4736
//!   invoke_agent support  CLIENT  812.204 ms
//!     | gen_ai.agent.name=support gen_ai.usage.input_tokens=1530
//!     chat mistral-medium-latest  CLIENT  640.511 ms
//!       | gen_ai.request.model=mistral-medium-latest gen_ai.response.time_to_first_chunk=0.21
//! ```
//!
//! # Which span processor
//!
//! The pipeline drives the span exporter with its own synchronous processor
//! ([`ConsoleSpanProcessor`]): each span reaches the exporter as it ends, on the thread
//! that ends it, so a tree appears the moment its root ends. It needs no runtime or
//! background thread and waits for nothing but the writer, so it cannot deadlock a
//! single-threaded runtime. The batch processor would hold output for its batch delay
//! (5 s by default); the SDK's simple processor would do, except that its `force_flush`
//! does not reach the exporter, and flushing should print the traces still open.
//! Metrics use the SDK's thread-based periodic reader: their export is a plain write. Log
//! records use the SDK's simple log processor: each is printed as it is emitted, on the
//! emitting thread.

mod logs;
mod metrics;
mod output;
mod spans;
mod tree;

pub use logs::ConsoleLogExporter;
pub use metrics::ConsoleMetricExporter;
pub(crate) use output::Output;
pub use spans::{ConsoleExporter, ConsoleSpanProcessor, DEFAULT_MAX_BUFFERED_SPANS};
pub use tree::render_tree;
