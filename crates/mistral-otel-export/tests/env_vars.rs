//! What the SDK reads from the process environment by itself. Alone in its binary (its own
//! process), because it sets process-wide variables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use mistral_otel_export::OtlpConfig;
use opentelemetry::trace::{Tracer, TracerProvider};
use otlp_receiver::{OtlpReceiver, Transport};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_variables_pick_protocol_endpoint_headers_and_service_name() {
    let receiver = OtlpReceiver::start().await.unwrap();
    // SAFETY: this test binary runs no other test, so nothing reads the environment concurrently.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint());
        std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=yes%20it%20is");
        std::env::set_var("OTEL_SERVICE_NAME", "service-from-env");
        std::env::set_var("MISTRAL_OTEL_METRICS", "false");
    }
    let telemetry = OtlpConfig::from_env().build().unwrap();
    assert!(telemetry.meter_provider().is_none());
    telemetry
        .tracer_provider()
        .tracer("env-test")
        .in_span("from env", |_| {});
    telemetry.force_flush().unwrap();

    let spans = receiver.wait_for_spans(1, Duration::from_secs(10)).await;
    assert_eq!(spans[0].resource["service.name"], "service-from-env");
    let export = &receiver.exports()[0];
    assert_eq!(export.transport, Transport::Http);
    assert_eq!(export.path, "/v1/traces");
    assert_eq!(export.header("x-from-env"), Some("yes it is"));
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}
