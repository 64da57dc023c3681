//! Exporter selection (code, then `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` /
//! `OTEL_SDK_DISABLED`, then OTLP) and the console exporters.
//!
//! Only `otel_sdk_disabled_exports_nothing_and_install_sets_no_global` may call `install`:
//! it checks that the process-wide globals stay untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mistral_otel_export::console::ConsoleExporter;
use mistral_otel_export::{ExportError, OtlpConfig, SignalExporter};
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider;
use opentelemetry::trace::{Span, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, global};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use otlp_receiver::{ExportKind, OtlpReceiver};

const WAIT: Duration = Duration::from_secs(10);

/// A writer whose bytes the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A lookup holding exactly `pairs`.
fn env(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// The span lines of printed trees, without durations: `  name  KIND`.
fn span_lines(printed: &str) -> Vec<String> {
    printed
        .lines()
        .filter(|l| !l.starts_with("trace ") && !l.trim_start().starts_with('|'))
        .map(|l| l.rsplit_once("  ").unwrap().0.to_owned())
        .collect()
}

/// invoke_agent > chat > execute_tool, ended innermost first; `between` runs after each
/// child ends, before the root does.
fn three_spans(provider: &SdkTracerProvider, between: impl Fn()) {
    let tracer = provider.tracer("exporters-test");
    let root = tracer.start("invoke_agent support");
    let root_cx = Context::current_with_span(root);
    let chat = tracer.start_with_context("chat mistral-medium-latest", &root_cx);
    let chat_cx = root_cx.with_span(chat);
    let mut tool = tracer.start_with_context("execute_tool web_search", &chat_cx);
    tool.set_attribute(KeyValue::new("gen_ai.tool.name", "web_search"));
    tool.end();
    between();
    chat_cx.span().end();
    between();
    root_cx.span().end();
}

#[test]
fn console_exporter_prints_a_three_span_tree_only_once_the_root_ends() {
    let printed = Shared::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(ConsoleExporter::new(printed.clone()).into_processor())
        .build();
    three_spans(&provider, || {
        assert_eq!(printed.text(), "", "printed early")
    });

    let text = printed.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    let trace_id = lines[0].strip_prefix("trace ").unwrap();
    assert_eq!(trace_id.len(), 32, "{text}");
    assert_eq!(
        span_lines(&text),
        [
            "  invoke_agent support  INTERNAL",
            "    chat mistral-medium-latest  INTERNAL",
            "      execute_tool web_search  INTERNAL",
        ]
    );
    assert_eq!(lines[4], "        | gen_ai.tool.name=web_search");
    // shutdown has nothing left to print
    provider.shutdown().unwrap();
    assert_eq!(printed.text(), text);
}

#[test]
fn otel_traces_exporter_console_selects_the_console_exporter() {
    let printed = Shared::default();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_TRACES_EXPORTER", " CONSOLE "),
        ("OTEL_METRICS_EXPORTER", "console"),
    ]))
    .console_writer(printed.clone())
    .build()
    .unwrap();
    three_spans(telemetry.tracer_provider(), || {});
    assert_eq!(
        span_lines(&printed.text()),
        [
            "  invoke_agent support  INTERNAL",
            "    chat mistral-medium-latest  INTERNAL",
            "      execute_tool web_search  INTERNAL",
        ]
    );

    let meter = telemetry.meter_provider().unwrap().meter("exporters-test");
    let tokens = meter
        .u64_counter("gen_ai.client.token.usage")
        .with_unit("{token}")
        .build();
    tokens.add(42, &[KeyValue::new("gen_ai.token.type", "input")]);
    telemetry.force_flush().unwrap();
    let text = printed.text();
    assert!(
        text.contains(
            "gen_ai.client.token.usage  {token}  sum\n  gen_ai.token.type=input  value=42\n"
        ),
        "{text}"
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn console_traces_buffered_at_flush_are_printed_then() {
    let printed = Shared::default();
    let telemetry = OtlpConfig::new()
        .traces_exporter(SignalExporter::Console)
        .metrics(false)
        .console_writer(printed.clone())
        .build()
        .unwrap();
    let tracer = telemetry.tracer_provider().tracer("exporters-test");
    let root = tracer.start("still running");
    let cx = Context::current_with_span(root);
    tracer.start_with_context("done", &cx).end();
    assert_eq!(printed.text(), "");
    telemetry.force_flush().unwrap();
    assert_eq!(span_lines(&printed.text()), ["  done  INTERNAL"]);
    telemetry.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_metrics_exporter_none_builds_no_meter_provider_and_sends_no_metrics() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_METRICS_EXPORTER", "None"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ]))
    .endpoint(receiver.http_endpoint())
    .metrics_interval(Duration::from_millis(100))
    .build()
    .unwrap();
    assert!(telemetry.meter_provider().is_none());
    // what an application records when it finds a meter provider: nothing here, but the
    // receiver check below stands on its own
    if let Some(provider) = telemetry.meter_provider() {
        let meter = provider.meter("exporters-test");
        meter.u64_counter("requests").build().add(1, &[]);
    }
    three_spans(telemetry.tracer_provider(), || {});
    telemetry.force_flush().unwrap();
    assert_eq!(receiver.wait_for_spans(3, WAIT).await.len(), 3);
    telemetry.shutdown().unwrap();

    let exports = receiver.exports();
    assert!(!exports.is_empty());
    assert!(
        exports.iter().all(|e| e.kind == ExportKind::Traces),
        "{:?}",
        exports.iter().map(|e| &e.path).collect::<Vec<_>>()
    );
    assert!(receiver.metrics().is_empty());
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_traces_with_otlp_metrics_send_only_metrics() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let printed = Shared::default();
    let telemetry = OtlpConfig::from_env_with(env(&[("OTEL_TRACES_EXPORTER", "console")]))
        .endpoint(receiver.grpc_endpoint())
        .console_writer(printed.clone())
        .build()
        .unwrap();
    three_spans(telemetry.tracer_provider(), || {});
    let meter = telemetry.meter_provider().unwrap().meter("exporters-test");
    meter.u64_counter("requests").build().add(1, &[]);
    telemetry.force_flush().unwrap();
    let arrived = receiver.wait_for_metrics(|m| !m.is_empty(), WAIT).await;
    assert!(arrived);
    telemetry.shutdown().unwrap();

    assert_eq!(span_lines(&printed.text()).len(), 3);
    assert!(
        receiver
            .exports()
            .iter()
            .all(|e| e.kind == ExportKind::Metrics)
    );
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_traces_exporter_none_keeps_what_build_with_adds_and_exports_nothing() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let memory = InMemorySpanExporter::default();
    let kept = memory.clone();
    let printed = Shared::default();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]))
    .endpoint(receiver.grpc_endpoint())
    .console_writer(printed.clone())
    .build_with(move |b| b.with_simple_exporter(kept))
    .unwrap();
    assert!(telemetry.meter_provider().is_none());
    three_spans(telemetry.tracer_provider(), || {});
    telemetry.force_flush().unwrap();
    // before shutdown, which empties the in-memory exporter
    assert_eq!(memory.get_finished_spans().unwrap().len(), 3);
    telemetry.shutdown().unwrap();
    assert!(receiver.exports().is_empty());
    assert_eq!(printed.text(), "");
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_disabled_exports_nothing_and_install_sets_no_global() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_SDK_DISABLED", " True "),
        // an off switch works even when the rest of the configuration is broken
        ("OTEL_TRACES_EXPORTER", "zipkin"),
    ]))
    .endpoint(receiver.grpc_endpoint())
    .metrics_interval(Duration::from_millis(100))
    .install()
    .unwrap();
    assert!(telemetry.is_disabled());
    assert!(telemetry.meter_provider().is_none());
    three_spans(telemetry.tracer_provider(), || {});
    let mut span = telemetry.tracer_provider().tracer("t").start("unrecorded");
    assert!(!span.is_recording());
    span.end();

    // the API's no-op globals are still in place
    let global_span = global::tracer("exporters-test").start("global");
    assert!(!global_span.span_context().is_valid());
    let fields = global::get_text_map_propagator(|p| p.fields().count());
    assert_eq!(fields, 0);

    telemetry.force_flush().unwrap();
    telemetry.shutdown().unwrap();
    assert!(receiver.exports().is_empty());
    receiver.shutdown().await;
}

#[test]
fn an_unknown_exporter_name_is_invalid_env_naming_the_variable() {
    for var in ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"] {
        for bad in ["zipkin", "otlp,console", "logging"] {
            let err = OtlpConfig::from_env_with(move |name| (name == var).then(|| bad.to_owned()))
                .build()
                .unwrap_err();
            match &err {
                ExportError::InvalidEnv {
                    var: named, value, ..
                } => {
                    assert_eq!((named.as_str(), value.as_str()), (var, bad));
                }
                other => panic!("{var}={bad}: unexpected {other:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(var), "{message}");
            assert!(message.contains("otlp, console or none"), "{message}");
        }
    }
}

#[test]
fn exporters_chosen_in_code_win_over_the_environment() {
    let printed = Shared::default();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "carrier-pigeon"),
    ]))
    .traces_exporter(SignalExporter::Console)
    .metrics_exporter(SignalExporter::None)
    .console_writer(printed.clone())
    .build()
    .unwrap();
    assert!(telemetry.meter_provider().is_none());
    three_spans(telemetry.tracer_provider(), || {});
    assert_eq!(span_lines(&printed.text()).len(), 3);
    telemetry.shutdown().unwrap();
}
