//! The `OTEL_EXPORTER_OTLP_LOGS_*` variables the SDK reads by itself: the logs signal can
//! go elsewhere, over another transport and with its own headers, than traces. Alone in
//! its binary (its own process), because it sets process-wide variables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use mistral_otel_export::{OtlpConfig, Protocol};
use opentelemetry::logs::{LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry::trace::{Tracer, TracerProvider};
use otlp_receiver::{ExportKind, OtlpReceiver, Transport};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_variables_pick_their_own_protocol_endpoint_and_headers() {
    let receiver = OtlpReceiver::start().await.unwrap();
    // SAFETY: this test binary runs no other test, so nothing reads the environment concurrently.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint());
        std::env::set_var("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf");
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            format!("{}/collector/v1/logs", receiver.http_endpoint()),
        );
        std::env::set_var("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-logs=yes%20indeed");
        std::env::set_var("OTEL_LOGS_EXPORTER", "otlp");
        std::env::set_var("OTEL_SERVICE_NAME", "logs-from-env");
        std::env::set_var("MISTRAL_OTEL_METRICS", "false");
    }
    let config = OtlpConfig::from_env();
    assert_eq!(config.traces_protocol(), Protocol::Grpc);
    assert_eq!(config.logs_protocol(), Protocol::HttpProtobuf);
    let telemetry = config.build().unwrap();
    let tracer = telemetry.tracer_provider().tracer("env-test");
    tracer.in_span("chat", |_| {
        let logger = telemetry.logger_provider().unwrap().logger("env-test");
        let mut record = logger.create_log_record();
        record.set_event_name("gen_ai.client.inference.operation.details");
        record.set_severity_number(Severity::Info);
        logger.emit(record);
    });
    telemetry.force_flush().unwrap();

    let logs = receiver.wait_for_logs(1, WAIT).await;
    let spans = receiver.wait_for_spans(1, WAIT).await;
    assert_eq!(logs[0].resource["service.name"], "logs-from-env");
    assert_eq!(logs[0].span_id, spans[0].span_id);
    for export in receiver.exports() {
        match export.kind {
            ExportKind::Logs => {
                assert_eq!(export.transport, Transport::Http);
                assert_eq!(export.path, "/collector/v1/logs");
                assert_eq!(export.header("x-logs"), Some("yes indeed"));
            }
            ExportKind::Traces => {
                assert_eq!(export.transport, Transport::Grpc);
                assert_eq!(export.header("x-logs"), None);
            }
            ExportKind::Metrics => panic!("metrics are off"),
        }
    }
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}
