//! Metrics as plain lines on a console: at each export, every metric's name, unit and kind,
//! then one line per data point with its attributes and its value (count and sum for
//! histograms). Cumulative, like the OTLP exporter, so each report shows totals so far.

use std::fmt::{Display, Write as _};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::output::Output;

/// A development metric exporter printing each export as plain lines to standard error
/// or any writer:
///
/// ```text
/// gen_ai.client.token.usage  {token}  histogram
///   gen_ai.operation.name=chat gen_ai.token.type=input  count=2 sum=1530
/// replay.cases  sum
///   value=12
/// ```
///
/// Give it to a periodic reader; metrics are printed at each interval, on
/// `force_flush` and at shutdown.
///
/// ```
/// use mistral_otel_export::console::ConsoleMetricExporter;
/// use opentelemetry::KeyValue;
/// use opentelemetry::metrics::MeterProvider;
/// use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
///
/// let provider = SdkMeterProvider::builder()
///     .with_reader(PeriodicReader::builder(ConsoleMetricExporter::stderr()).build())
///     .build();
/// let tokens = provider.meter("demo").u64_counter("tokens").with_unit("{token}").build();
/// tokens.add(12, &[KeyValue::new("gen_ai.token.type", "input")]);
/// // prints "tokens  {token}  sum" and "  gen_ai.token.type=input  value=12"
/// provider.force_flush().unwrap();
/// ```
#[derive(Debug)]
pub struct ConsoleMetricExporter {
    output: Output,
    shut_down: AtomicBool,
}

impl ConsoleMetricExporter {
    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::with_output(Output::stderr())
    }

    /// Prints to `writer`; each export is written with one `write_all`, then flushed.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self::with_output(Output::new(writer))
    }

    pub(crate) fn with_output(output: Output) -> Self {
        Self {
            output,
            shut_down: AtomicBool::new(false),
        }
    }

    fn print(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.output
            .write(&render(metrics))
            .map_err(|e| OTelSdkError::InternalFailure(format!("console metric exporter: {e}")))
    }
}

impl PushMetricExporter for ConsoleMetricExporter {
    fn export(&self, metrics: &ResourceMetrics) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.print(metrics))
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// One export as text; empty when it holds no metric.
fn render(metrics: &ResourceMetrics) -> String {
    let mut out = String::new();
    for metric in metrics.scope_metrics().flat_map(|scope| scope.metrics()) {
        let kind = match metric.data() {
            AggregatedMetrics::F64(data) => kind(data),
            AggregatedMetrics::I64(data) => kind(data),
            AggregatedMetrics::U64(data) => kind(data),
        };
        let _ = write!(out, "{}", metric.name());
        if !metric.unit().is_empty() {
            let _ = write!(out, "  {}", metric.unit());
        }
        let _ = writeln!(out, "  {kind}");
        match metric.data() {
            AggregatedMetrics::F64(data) => points(&mut out, data),
            AggregatedMetrics::I64(data) => points(&mut out, data),
            AggregatedMetrics::U64(data) => points(&mut out, data),
        }
    }
    out
}

fn kind<T>(data: &MetricData<T>) -> &'static str {
    match data {
        MetricData::Gauge(_) => "gauge",
        MetricData::Sum(_) => "sum",
        MetricData::Histogram(_) => "histogram",
        MetricData::ExponentialHistogram(_) => "exponential_histogram",
    }
}

fn points<T: Display + Copy>(out: &mut String, data: &MetricData<T>) {
    match data {
        MetricData::Gauge(gauge) => {
            for point in gauge.data_points() {
                point_line(out, point.attributes(), format!("value={}", point.value()));
            }
        }
        MetricData::Sum(sum) => {
            for point in sum.data_points() {
                point_line(out, point.attributes(), format!("value={}", point.value()));
            }
        }
        MetricData::Histogram(histogram) => {
            for point in histogram.data_points() {
                let values = format!("count={} sum={}", point.count(), point.sum());
                point_line(out, point.attributes(), values);
            }
        }
        MetricData::ExponentialHistogram(histogram) => {
            for point in histogram.data_points() {
                let values = format!("count={} sum={}", point.count(), point.sum());
                point_line(out, point.attributes(), values);
            }
        }
    }
}

/// `  k=v k2=v2  values`, attributes sorted by key so a point reads the same every time.
fn point_line<'a>(
    out: &mut String,
    attributes: impl Iterator<Item = &'a KeyValue>,
    values: String,
) {
    let mut attributes: Vec<String> = attributes
        .map(|kv| format!("{}={}", kv.key, kv.value))
        .collect();
    attributes.sort();
    out.push_str("  ");
    if !attributes.is_empty() {
        out.push_str(&attributes.join(" "));
        out.push_str("  ");
    }
    out.push_str(&values);
    out.push('\n');
}
