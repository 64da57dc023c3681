//! The logs pipeline: GenAI events emitted through the built logger provider arrive at the
//! in-process receiver over both transports; `OTEL_LOGS_EXPORTER`, the presets and
//! `OTEL_SDK_DISABLED` decide whether there is a logger provider at all; the console
//! exporter prints a line; flush and shutdown cover logs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
use mistral_otel_export::{ExportError, OtlpConfig, Protocol, SignalExporter, Telemetry};
use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry::trace::{SpanContext, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, Key};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use otlp_receiver::{Behavior, ExportKind, OtlpReceiver, ReceivedLog, Transport};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const EVENT: &str = "gen_ai.client.inference.operation.details";

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

fn endpoint(receiver: &OtlpReceiver, protocol: Protocol) -> String {
    match protocol {
        Protocol::Grpc => receiver.grpc_endpoint(),
        Protocol::HttpProtobuf => receiver.http_endpoint(),
    }
}

/// A GenAI event as the middleware emits it: an event name, a severity, and structured
/// content (a list of maps holding a list of maps) beside plain attributes.
fn emit_event(provider: &SdkLoggerProvider) {
    let logger = provider.logger("mistral-otel");
    let mut record = logger.create_log_record();
    record.set_event_name(EVENT);
    record.set_severity_number(Severity::Info);
    record.set_severity_text("INFO");
    record.set_body(AnyValue::from("chat mistral-small-latest"));
    record.add_attribute("gen_ai.operation.name", "chat");
    record.add_attribute("gen_ai.usage.input_tokens", 12_i64);
    let part = HashMap::from([
        (Key::new("type"), AnyValue::from("text")),
        (Key::new("content"), AnyValue::from("Hi")),
    ]);
    let message = HashMap::from([
        (Key::new("role"), AnyValue::from("user")),
        (
            Key::new("parts"),
            AnyValue::ListAny(Box::new(vec![AnyValue::Map(Box::new(part))])),
        ),
    ]);
    record.add_attribute(
        "gen_ai.input.messages",
        AnyValue::ListAny(Box::new(vec![AnyValue::Map(Box::new(message))])),
    );
    logger.emit(record);
}

/// Emits [`emit_event`] inside an active span and returns that span's context.
fn emit_event_in_span(telemetry: &Telemetry) -> SpanContext {
    let tracer = telemetry.tracer_provider().tracer("logs-test");
    tracer.in_span("chat mistral-small-latest", |cx| {
        emit_event(telemetry.logger_provider().expect("logs are on"));
        cx.span().span_context().clone()
    })
}

fn assert_is_the_event(log: &ReceivedLog, span: &SpanContext) {
    assert_eq!(log.event_name, EVENT);
    assert_eq!(log.severity_number, 9, "INFO");
    assert_eq!(log.severity_text, "INFO");
    assert_eq!(log.body, json!("chat mistral-small-latest"));
    assert_eq!(log.str_attr("gen_ai.operation.name"), Some("chat"));
    assert_eq!(log.attributes["gen_ai.usage.input_tokens"], json!(12));
    assert_eq!(
        log.attributes["gen_ai.input.messages"],
        json!([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])
    );
    assert_eq!(log.trace_id, span.trace_id().to_string());
    assert_eq!(log.span_id, span.span_id().to_string());
    assert_eq!(log.trace_id.len(), 32);
    assert_eq!(log.span_id.len(), 16);
    assert_eq!(log.scope_name, "mistral-otel");
    assert!(log.observed_time_unix_nano > 0);
}

async fn event_arrives(protocol: Protocol) {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint(&receiver, protocol))
        .header("x-tenant", "acme")
        .service_name("logs-test")
        .metrics(false)
        .build()
        .unwrap();
    let span = emit_event_in_span(&telemetry);
    telemetry.force_flush().unwrap();

    let logs = receiver.wait_for_logs(1, WAIT).await;
    assert_eq!(logs.len(), 1);
    assert_is_the_event(&logs[0], &span);
    assert_eq!(logs[0].resource["service.name"], json!("logs-test"));
    // the span went its own way
    let spans = receiver.wait_for_spans(1, WAIT).await;
    assert_eq!(spans[0].span_id, logs[0].span_id);

    let export = receiver
        .exports()
        .into_iter()
        .find(|e| e.kind == ExportKind::Logs)
        .unwrap();
    let transport = match protocol {
        Protocol::Grpc => Transport::Grpc,
        Protocol::HttpProtobuf => Transport::Http,
    };
    assert_eq!(export.transport, transport);
    assert_eq!(export.header("x-tenant"), Some("acme"));
    match protocol {
        Protocol::Grpc => assert_eq!(
            export.path,
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
        ),
        Protocol::HttpProtobuf => {
            assert_eq!(export.path, "/v1/logs");
            assert_eq!(
                export.content_type.as_deref(),
                Some("application/x-protobuf")
            );
        }
    }
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_delivers_a_gen_ai_event_with_structure_severity_and_span_ids() {
    event_arrives(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_delivers_a_gen_ai_event_with_structure_severity_and_span_ids() {
    event_arrives(Protocol::HttpProtobuf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_signal_logs_protocol_and_a_verbatim_logs_endpoint() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
    ]))
    .endpoint(receiver.grpc_endpoint())
    .logs_endpoint(format!("{}/custom/v1/logs", receiver.http_endpoint()))
    .metrics(false)
    .build()
    .unwrap();
    let span = emit_event_in_span(&telemetry);
    telemetry.force_flush().unwrap();
    let logs = receiver.wait_for_logs(1, WAIT).await;
    assert_is_the_event(&logs[0], &span);
    receiver.wait_for_spans(1, WAIT).await;
    telemetry.shutdown().unwrap();

    for export in receiver.exports() {
        match export.kind {
            ExportKind::Logs => {
                assert_eq!(export.transport, Transport::Http);
                assert_eq!(export.path, "/custom/v1/logs");
            }
            ExportKind::Traces => assert_eq!(export.transport, Transport::Grpc),
            ExportKind::Metrics => panic!("metrics are off"),
        }
    }
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_logs_exporter_none_builds_no_logger_provider_and_sends_no_logs() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_LOGS_EXPORTER", " None "),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]))
    .endpoint(receiver.grpc_endpoint())
    .build()
    .unwrap();
    assert!(telemetry.logger_provider().is_none());
    // what an application emits when it finds a logger provider: nothing here, but the
    // receiver check below stands on its own
    if let Some(provider) = telemetry.logger_provider() {
        emit_event(provider);
    }
    telemetry
        .tracer_provider()
        .tracer("logs-test")
        .in_span("chat", |_| {});
    telemetry.force_flush().unwrap();
    assert_eq!(receiver.wait_for_spans(1, WAIT).await.len(), 1);
    telemetry.shutdown().unwrap();
    assert!(
        receiver
            .exports()
            .iter()
            .all(|e| e.kind == ExportKind::Traces)
    );
    assert!(receiver.logs().is_empty());
    receiver.shutdown().await;
}

#[test]
fn the_logs_switch_and_code_decide_over_the_environment() {
    // the switch off wins over any exporter
    let telemetry = OtlpConfig::new()
        .traces_exporter(SignalExporter::None)
        .metrics(false)
        .logs_exporter(SignalExporter::Console)
        .logs(false)
        .build()
        .unwrap();
    assert!(telemetry.logger_provider().is_none());
    telemetry.shutdown().unwrap();

    // code wins over OTEL_LOGS_EXPORTER, even an invalid one
    for value in ["none", "zipkin"] {
        let config = OtlpConfig::from_env_with(move |name| {
            (name == "OTEL_LOGS_EXPORTER").then(|| value.to_owned())
        })
        .traces_exporter(SignalExporter::None)
        .metrics(false)
        .logs_exporter(SignalExporter::Console)
        .console_writer(Shared::default());
        assert!(config.logs_enabled(), "{value}");
        let telemetry = config.build().unwrap();
        assert!(telemetry.logger_provider().is_some(), "{value}");
        telemetry.shutdown().unwrap();
    }
}

#[test]
fn logs_default_to_otlp_and_an_unknown_exporter_is_invalid_env() {
    let config = OtlpConfig::from_env_with(env(&[]));
    assert_eq!(config.logs_exporter_kind(), SignalExporter::Otlp);
    assert_eq!(config.logs_protocol(), Protocol::Grpc);
    assert!(config.logs_enabled());

    for bad in ["zipkin", "otlp,console", "logging"] {
        let err = OtlpConfig::from_env_with(move |name| {
            (name == "OTEL_LOGS_EXPORTER").then(|| bad.to_owned())
        })
        .build()
        .unwrap_err();
        match &err {
            ExportError::InvalidEnv { var, value, .. } => {
                assert_eq!((var.as_str(), value.as_str()), ("OTEL_LOGS_EXPORTER", bad));
            }
            other => panic!("{bad}: unexpected {other:?}"),
        }
    }
    let err = OtlpConfig::from_env_with(env(&[("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json")]))
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, ExportError::InvalidEnv { var, .. } if var == "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"),
        "{err:?}"
    );
}

#[test]
fn otel_logs_exporter_console_prints_one_line_per_record_with_span_ids() {
    let printed = Shared::default();
    let telemetry = OtlpConfig::from_env_with(env(&[
        ("OTEL_LOGS_EXPORTER", "Console"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]))
    .console_writer(printed.clone())
    .build()
    .unwrap();
    let span = emit_event_in_span(&telemetry);
    // printed as it is emitted, without a flush
    let text = printed.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(
        lines[0],
        format!(
            "{EVENT}  INFO  trace={} span={}  body=chat mistral-small-latest \
             gen_ai.operation.name=chat gen_ai.usage.input_tokens=12 \
             gen_ai.input.messages=[{{\"parts\":[{{\"content\":\"Hi\",\"type\":\"text\"}}],\"role\":\"user\"}}]",
            span.trace_id(),
            span.span_id()
        )
    );
    // outside a span: no ids
    emit_event(telemetry.logger_provider().unwrap());
    let text = printed.text();
    let second = text.lines().nth(1).unwrap();
    assert!(
        second.starts_with(&format!("{EVENT}  INFO  body=")),
        "{second}"
    );
    telemetry.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_sdk_disabled_builds_no_logger_provider() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let printed = Shared::default();
    let config = OtlpConfig::from_env_with(env(&[
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_LOGS_EXPORTER", "console"),
    ]))
    .endpoint(receiver.grpc_endpoint())
    .console_writer(printed.clone());
    assert!(!config.logs_enabled());
    let telemetry = config.build().unwrap();
    assert!(telemetry.is_disabled());
    assert!(telemetry.logger_provider().is_none());
    telemetry.force_flush().unwrap();
    telemetry.shutdown().unwrap();
    assert_eq!(printed.text(), "");
    assert!(receiver.exports().is_empty());
    receiver.shutdown().await;
}

#[test]
fn the_jaeger_and_braintrust_presets_build_no_logger_provider() {
    let jaeger = mistral_otel_export::jaeger::config();
    assert_eq!(jaeger.logs_exporter_kind(), SignalExporter::None);
    assert!(!jaeger.logs_enabled());
    let telemetry = jaeger.endpoint("http://127.0.0.1:9").build().unwrap();
    assert!(telemetry.logger_provider().is_none());
    let _ = telemetry.shutdown();

    let braintrust = BraintrustConfig::new()
        .api_key("sk")
        .parent(Parent::ProjectName("p".into()))
        .base_url("http://127.0.0.1:9")
        .into_otlp()
        .unwrap();
    assert_eq!(braintrust.logs_exporter_kind(), SignalExporter::None);
    assert!(!braintrust.logs_enabled());
    let telemetry = braintrust.build().unwrap();
    assert!(telemetry.logger_provider().is_none());
    let _ = telemetry.shutdown();
}

/// A long batch delay, so that only an explicit flush or shutdown sends the record; the
/// application keeps its own clone of the logger provider (as the middleware does).
async fn held_record(
    receiver: &OtlpReceiver,
    protocol: Protocol,
) -> (Telemetry, SdkLoggerProvider) {
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint(receiver, protocol))
        .traces_exporter(SignalExporter::None)
        .metrics(false)
        .batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    let provider = telemetry.logger_provider().unwrap().clone();
    emit_event(&provider);
    // the batch is held
    assert!(
        receiver
            .wait_for_logs(1, Duration::from_millis(300))
            .await
            .is_empty()
    );
    (telemetry, provider)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_flush_sends_held_log_records() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let receiver = OtlpReceiver::start().await.unwrap();
        let (telemetry, _provider) = held_record(&receiver, protocol).await;
        telemetry.force_flush().unwrap();
        let logs = receiver.wait_for_logs(1, Duration::from_secs(3)).await;
        assert_eq!(logs.len(), 1, "{protocol}");
        telemetry.shutdown().unwrap();
        receiver.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_held_log_records_and_stops_the_application_s_clone() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let receiver = OtlpReceiver::start().await.unwrap();
        let (telemetry, provider) = held_record(&receiver, protocol).await;
        telemetry.shutdown().unwrap();
        let logs = receiver.wait_for_logs(1, Duration::from_secs(3)).await;
        assert_eq!(logs.len(), 1, "{protocol}");
        // the clone the application kept is shut down too: nothing more is sent
        emit_event(&provider);
        assert!(provider.force_flush().is_err(), "{protocol}");
        assert_eq!(
            receiver
                .wait_for_logs(2, Duration::from_millis(300))
                .await
                .len(),
            1,
            "{protocol}"
        );
        receiver.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_silent_collectors_surface_as_bounded_flush_errors() {
    const BOUND: Duration = Duration::from_millis(1500);
    const SLACK: Duration = Duration::from_millis(1500);
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        for behavior in [Behavior::Status500, Behavior::Hang] {
            let receiver = OtlpReceiver::start().await.unwrap();
            receiver.set_behavior(behavior);
            let telemetry = OtlpConfig::new()
                .protocol(protocol)
                .endpoint(endpoint(&receiver, protocol))
                .traces_exporter(SignalExporter::None)
                .metrics(false)
                .timeout(Duration::from_secs(30))
                .retries(0)
                .flush_timeout(BOUND)
                .build()
                .unwrap();
            emit_event(telemetry.logger_provider().unwrap());
            let started = Instant::now();
            let flushed = telemetry.force_flush();
            assert!(flushed.is_err(), "{protocol} {behavior:?}: {flushed:?}");
            assert!(
                started.elapsed() < BOUND + SLACK,
                "{protocol} {behavior:?}: flush took {:?}",
                started.elapsed()
            );
            // the exporter tried
            assert_eq!(receiver.logs().len(), 1, "{protocol} {behavior:?}");
            let started = Instant::now();
            let _ = telemetry.shutdown();
            assert!(started.elapsed() < BOUND + SLACK, "{protocol} {behavior:?}");
            receiver.shutdown().await;
        }
    }
}

#[test]
fn logs_need_no_tokio_runtime_in_the_application() {
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = receiver_runtime.block_on(OtlpReceiver::start()).unwrap();

    // This thread has no runtime: build, emit and shut down from plain sync code.
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(endpoint(&receiver, protocol))
            .metrics(false)
            .build()
            .unwrap();
        assert!(tokio::runtime::Handle::try_current().is_err());
        let span = emit_event_in_span(&telemetry);
        telemetry.shutdown().unwrap();
        let logs = receiver_runtime.block_on(receiver.wait_for_logs(1, WAIT));
        assert_eq!(logs.len(), 1, "{protocol}");
        assert_is_the_event(&logs[0], &span);
        receiver.clear();
    }
}

#[test]
fn dropping_the_pipelines_inside_a_current_thread_runtime_does_not_deadlock() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let refused = format!("http://{}", listener.local_addr().unwrap());
            drop(listener);
            let telemetry = OtlpConfig::new()
                .protocol(Protocol::HttpProtobuf)
                .endpoint(refused)
                .timeout(Duration::from_millis(500))
                .retries(0)
                .build()
                .unwrap();
            emit_event(telemetry.logger_provider().unwrap());
            let _ = telemetry.force_flush();
            // Dropping the last provider clone shuts the pipelines down synchronously.
            drop(telemetry);
        });
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(15))
        .expect("flush or drop deadlocked on a current-thread runtime");
}

/// The span context the logger attaches is the current one, not one given explicitly:
/// records emitted under a context made current by hand carry its span too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_carry_the_span_of_the_current_context() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::new()
        .protocol(Protocol::Grpc)
        .endpoint(receiver.grpc_endpoint())
        .metrics(false)
        .build()
        .unwrap();
    let tracer = telemetry.tracer_provider().tracer("logs-test");
    let span = tracer.start("invoke_agent support");
    let cx = Context::current_with_span(span);
    let expected = cx.span().span_context().clone();
    {
        let _guard = cx.clone().attach();
        emit_event(telemetry.logger_provider().unwrap());
    }
    emit_event(telemetry.logger_provider().unwrap());
    cx.span().end();
    telemetry.force_flush().unwrap();
    let logs = receiver.wait_for_logs(2, WAIT).await;
    assert_is_the_event(&logs[0], &expected);
    assert_eq!(
        (logs[1].trace_id.as_str(), logs[1].span_id.as_str()),
        ("", "")
    );
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}
