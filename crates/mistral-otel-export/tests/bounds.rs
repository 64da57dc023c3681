//! Flush and shutdown have a bound, whatever the collector does; endpoints that cannot
//! work are refused at build with a clear error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
use mistral_otel_export::{ExportError, OtlpConfig, Protocol, Telemetry};
use opentelemetry::trace::{Tracer, TracerProvider};
use otlp_receiver::{Behavior, OtlpReceiver};

const BOUND: Duration = Duration::from_millis(1500);
/// Thread start-up and scheduling on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(1500);

fn telemetry(receiver: &OtlpReceiver, protocol: Protocol) -> Telemetry {
    let endpoint = match protocol {
        Protocol::Grpc => receiver.grpc_endpoint(),
        Protocol::HttpProtobuf => receiver.http_endpoint(),
    };
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint)
        .flush_timeout(BOUND)
        .build()
        .unwrap();
    telemetry
        .tracer_provider()
        .tracer("bounds")
        .in_span("invoke_agent", |_| {});
    telemetry
}

fn assert_timeout(result: Result<(), ExportError>, started: Instant, operation: &str) {
    let took = started.elapsed();
    assert!(
        took < BOUND + SLACK,
        "{operation} took {took:?}, bound {BOUND:?}"
    );
    match result {
        Err(ExportError::Timeout {
            operation: op,
            after,
        }) => {
            assert_eq!(op, operation);
            assert_eq!(after, BOUND);
        }
        other => panic!("{operation}: expected a timeout, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_and_shutdown_return_within_their_bound_against_a_collector_that_never_answers() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let receiver = OtlpReceiver::start().await.unwrap();
        receiver.set_behavior(Behavior::Hang);
        let telemetry = telemetry(&receiver, protocol);
        let started = Instant::now();
        let flushed = tokio::task::block_in_place(|| telemetry.force_flush());
        assert_timeout(flushed, started, "flush");
        let started = Instant::now();
        let stopped = tokio::task::block_in_place(|| telemetry.shutdown());
        assert_timeout(stopped, started, "shutdown");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_async_blocks_no_runtime_worker() {
    let receiver = OtlpReceiver::start().await.unwrap();
    receiver.set_behavior(Behavior::Hang);
    let telemetry = telemetry(&receiver, Protocol::HttpProtobuf);
    // on a one-thread runtime a blocking shutdown would stop this ticker
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let started = Instant::now();
    let result = telemetry.shutdown_async().await;
    assert_timeout(result, started, "shutdown");
    assert!(
        ticks.load(std::sync::atomic::Ordering::SeqCst) >= 10,
        "the runtime kept running while shutdown waited"
    );
    ticker.abort();
}

#[test]
fn an_endpoint_without_a_scheme_is_a_clear_error() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let err = OtlpConfig::new()
            .protocol(protocol)
            .endpoint("localhost:4317")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, ExportError::InvalidEndpoint { .. }),
            "{protocol}: {err:?}"
        );
        assert!(err.to_string().contains("http://host:port"), "{err}");
    }
}

#[test]
fn the_braintrust_preset_refuses_to_send_its_key_over_plain_http_except_to_loopback() {
    let config = |base: &str| {
        BraintrustConfig::new()
            .api_key("sk-bt-secret")
            .parent(Parent::ProjectName("p".into()))
            .base_url(base)
    };
    let err = config("http://braintrust.internal:8080")
        .into_otlp()
        .unwrap_err();
    assert!(
        matches!(err, ExportError::InvalidEndpoint { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("clear text"), "{err}");
    assert!(!err.to_string().contains("sk-bt-secret"));
    for ok in [
        "https://api.braintrust.dev",
        "http://127.0.0.1:4318",
        "http://localhost:9000",
        "http://[::1]:4318",
    ] {
        assert!(config(ok).into_otlp().is_ok(), "{ok}");
    }
}
