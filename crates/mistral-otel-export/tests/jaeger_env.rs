//! The Jaeger preset is traces only whatever the process environment says about metrics
//! and logs.
//! Alone in its binary (its own process), because it sets process-wide variables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use opentelemetry::trace::{Tracer, TracerProvider};
use otlp_receiver::{ExportKind, OtlpReceiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jaeger_preset_builds_no_meter_or_logger_provider_whatever_the_variables_say() {
    let receiver = OtlpReceiver::start().await.unwrap();
    // SAFETY: this test binary runs no other test, so nothing reads the environment concurrently.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint());
        std::env::set_var("OTEL_METRICS_EXPORTER", "otlp");
        std::env::set_var("MISTRAL_OTEL_METRICS", "true");
        std::env::set_var("OTEL_METRIC_EXPORT_INTERVAL", "100");
        std::env::set_var("OTEL_LOGS_EXPORTER", "otlp");
    }
    let telemetry = mistral_otel_export::jaeger::config().build().unwrap();
    assert!(telemetry.meter_provider().is_none());
    assert!(telemetry.logger_provider().is_none());
    telemetry
        .tracer_provider()
        .tracer("jaeger-env")
        .in_span("invoke_agent support", |_| {});
    telemetry.force_flush().unwrap();
    assert_eq!(
        receiver
            .wait_for_spans(1, Duration::from_secs(10))
            .await
            .len(),
        1
    );
    telemetry.shutdown().unwrap();
    assert!(
        receiver
            .exports()
            .iter()
            .all(|e| e.kind == ExportKind::Traces)
    );
    assert!(receiver.metrics().is_empty());
    receiver.shutdown().await;
}
