//! Export setup against the in-process OTLP receiver, over both transports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
use mistral_otel_export::{ExportError, OtlpConfig, Protocol, Telemetry};
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider;
use opentelemetry::trace::{Span, SpanKind, Tracer, TracerProvider};
use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use otlp_receiver::{Behavior, ExportKind, OtlpReceiver, Transport};

const WAIT: Duration = Duration::from_secs(10);

fn endpoint(receiver: &OtlpReceiver, protocol: Protocol) -> String {
    match protocol {
        Protocol::Grpc => receiver.grpc_endpoint(),
        Protocol::HttpProtobuf => receiver.http_endpoint(),
    }
}

fn end_span(telemetry: &Telemetry, name: &'static str) {
    let tracer = telemetry
        .tracer_provider()
        .tracer("mistral-otel-export-test");
    let mut span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Client)
        .start(&tracer);
    span.set_attribute(KeyValue::new("gen_ai.provider.name", "mistral_ai"));
    span.end();
}

fn metric_names(metrics: &[ResourceMetrics]) -> Vec<String> {
    metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|m| m.name.clone())
        .collect()
}

/// A local port with nothing listening: connections to it are refused.
fn refused_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

async fn span_arrives_with_header_and_service_name(protocol: Protocol) {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint(&receiver, protocol))
        .header("x-tenant", "acme")
        .service_name("export-test")
        .metrics(false)
        .build()
        .unwrap();
    end_span(&telemetry, "invoke_agent support");
    telemetry.force_flush().unwrap();

    let spans = receiver.wait_for_spans(1, WAIT).await;
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "invoke_agent support");
    assert_eq!(spans[0].kind, 3);
    assert_eq!(spans[0].resource["service.name"], "export-test");
    assert_eq!(spans[0].attributes["gen_ai.provider.name"], "mistral_ai");

    let export = &receiver.exports()[0];
    let transport = match protocol {
        Protocol::Grpc => Transport::Grpc,
        Protocol::HttpProtobuf => Transport::Http,
    };
    assert_eq!(export.transport, transport);
    assert_eq!(export.header("x-tenant"), Some("acme"));
    if protocol == Protocol::HttpProtobuf {
        assert_eq!(export.path, "/v1/traces");
        assert_eq!(
            export.content_type.as_deref(),
            Some("application/x-protobuf")
        );
    }
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_delivers_a_span_with_custom_header_and_service_name() {
    span_arrives_with_header_and_service_name(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_delivers_a_span_with_custom_header_and_service_name() {
    span_arrives_with_header_and_service_name(Protocol::HttpProtobuf).await;
}

async fn metrics_arrive(protocol: Protocol) {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint(&receiver, protocol))
        .service_name("export-test")
        .build()
        .unwrap();
    let meter = telemetry.meter_provider().unwrap().meter("mistral-otel");
    let counter = meter.u64_counter("gen_ai.client.token.usage").build();
    counter.add(42, &[KeyValue::new("gen_ai.token.type", "input")]);
    telemetry.force_flush().unwrap();

    let arrived = receiver
        .wait_for_metrics(
            |m| metric_names(m).contains(&"gen_ai.client.token.usage".to_owned()),
            WAIT,
        )
        .await;
    assert!(arrived);
    let metrics_export = receiver
        .exports()
        .into_iter()
        .find(|e| e.kind == ExportKind::Metrics)
        .unwrap();
    if protocol == Protocol::HttpProtobuf {
        assert_eq!(metrics_export.path, "/v1/metrics");
    }
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_delivers_metrics() {
    metrics_arrive(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_delivers_metrics() {
    metrics_arrive(Protocol::HttpProtobuf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_from_environment_selects_http() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::from_env_with(|name| {
        (name == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "http/protobuf".to_owned())
    })
    .endpoint(receiver.http_endpoint())
    .metrics(false)
    .build()
    .unwrap();
    end_span(&telemetry, "chat mistral-large-latest");
    telemetry.force_flush().unwrap();

    receiver.wait_for_spans(1, WAIT).await;
    assert_eq!(receiver.exports()[0].transport, Transport::Http);
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braintrust_preset_posts_traces_to_otel_path_with_key_and_parent_and_no_metrics() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = BraintrustConfig::new()
        .api_key("sk-bt-test")
        .parent(Parent::ProjectName("support agent".into()))
        .base_url(receiver.http_endpoint())
        .into_otlp()
        .unwrap()
        .service_name("bt-test")
        .build()
        .unwrap();
    assert!(telemetry.meter_provider().is_none());
    end_span(&telemetry, "invoke_agent support");
    telemetry.force_flush().unwrap();
    receiver.wait_for_spans(1, WAIT).await;
    telemetry.shutdown().unwrap();

    let exports = receiver.exports();
    assert!(!exports.is_empty());
    for export in &exports {
        assert_eq!(export.kind, ExportKind::Traces);
        assert_eq!(export.transport, Transport::Http);
        assert_eq!(export.path, "/otel/v1/traces");
        assert_eq!(export.header("authorization"), Some("Bearer sk-bt-test"));
        assert_eq!(
            export.header("x-bt-parent"),
            Some("project_name:support agent")
        );
        assert_eq!(
            export.content_type.as_deref(),
            Some("application/x-protobuf")
        );
    }
    assert!(receiver.metrics().is_empty());
    receiver.shutdown().await;
}

#[test]
fn braintrust_without_key_or_with_malformed_parent_fails_to_build() {
    assert!(matches!(
        BraintrustConfig::new()
            .parent(Parent::ProjectId("p1".into()))
            .into_otlp(),
        Err(ExportError::MissingApiKey)
    ));
    let malformed = BraintrustConfig::from_env_with(|name| match name {
        "BRAINTRUST_API_KEY" => Some("sk".to_owned()),
        "BRAINTRUST_PARENT" => Some("support-agent".to_owned()),
        _ => None,
    })
    .into_otlp();
    assert!(matches!(malformed, Err(ExportError::MalformedParent(p)) if p == "support-agent"));
}

#[test]
fn refused_endpoint_never_panics_and_flush_reports_it() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(refused_endpoint())
            .timeout(Duration::from_secs(2))
            .retries(0)
            .build()
            .unwrap();
        end_span(&telemetry, "lost");
        let started = Instant::now();
        let flushed = telemetry.force_flush();
        assert!(
            matches!(flushed, Err(ExportError::Flush { .. })),
            "{protocol}: {flushed:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{protocol}");
        // Shutdown has nothing left to send; whatever it reports, it returns.
        let _ = telemetry.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_hangs_surface_as_flush_errors() {
    let receiver = OtlpReceiver::start().await.unwrap();
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        for behavior in [Behavior::Status500, Behavior::Hang] {
            receiver.set_behavior(behavior);
            let telemetry = OtlpConfig::new()
                .protocol(protocol)
                .endpoint(endpoint(&receiver, protocol))
                .timeout(Duration::from_millis(500))
                .retries(0)
                .metrics(false)
                .build()
                .unwrap();
            end_span(&telemetry, "refused");
            let started = Instant::now();
            let flushed = telemetry.force_flush();
            assert!(flushed.is_err(), "{protocol} {behavior:?}: {flushed:?}");
            assert!(started.elapsed() < Duration::from_secs(5));
            let _ = telemetry.shutdown();
        }
    }
    receiver.shutdown().await;
}

#[test]
fn works_without_any_tokio_runtime_in_the_application() {
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = receiver_runtime.block_on(OtlpReceiver::start()).unwrap();

    // This thread has no runtime: build, export and shut down from plain sync code.
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(endpoint(&receiver, protocol))
            .metrics(false)
            .build()
            .unwrap();
        end_span(&telemetry, "sync");
        telemetry.shutdown().unwrap();
    }
    let spans = receiver_runtime.block_on(receiver.wait_for_spans(2, WAIT));
    assert_eq!(spans.len(), 2);
}

#[test]
fn flushing_and_dropping_inside_a_current_thread_runtime_do_not_deadlock() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let telemetry = OtlpConfig::new()
                .protocol(Protocol::HttpProtobuf)
                .endpoint(refused_endpoint())
                .timeout(Duration::from_millis(500))
                .retries(0)
                .build()
                .unwrap();
            end_span(&telemetry, "in a single-threaded runtime");
            let _ = telemetry.force_flush();
            // Dropping the last provider clone shuts the pipelines down synchronously.
            drop(telemetry);
        });
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("flush or drop deadlocked on a current-thread runtime");
}

#[test]
fn invalid_header_fails_build_without_showing_its_value() {
    let err = OtlpConfig::new()
        .header("authorization", "Bearer sk-secret\n")
        .metrics(false)
        .build()
        .unwrap_err();
    assert!(matches!(&err, ExportError::InvalidHeader { name } if name == "authorization"));
    assert!(!err.to_string().contains("sk-secret"));
}

#[cfg(not(feature = "tls"))]
#[test]
fn https_endpoint_without_tls_feature_is_refused_at_build() {
    let err = BraintrustConfig::new()
        .api_key("sk")
        .parent(Parent::ProjectId("p".into()))
        .build()
        .unwrap_err();
    assert!(matches!(err, ExportError::TlsNotEnabled { .. }), "{err}");
}

/// Accepts one connection and returns its first bytes (a TLS ClientHello starts 0x16 0x03).
#[cfg(feature = "tls")]
fn first_bytes_listener() -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).unwrap();
        tx.send(buf.to_vec()).unwrap();
    });
    (format!("https://127.0.0.1:{port}"), rx)
}

#[cfg(feature = "tls")]
#[test]
fn https_endpoints_speak_tls_over_both_transports_and_fail_cleanly() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let (url, first_bytes) = first_bytes_listener();
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(url)
            .timeout(Duration::from_secs(2))
            .retries(0)
            .metrics(false)
            .build()
            .unwrap();
        end_span(&telemetry, "over tls");
        assert!(telemetry.force_flush().is_err(), "{protocol}");
        let hello = first_bytes.recv_timeout(WAIT).unwrap();
        assert_eq!(
            &hello[..2],
            &[0x16, 0x03],
            "{protocol}: not a TLS handshake"
        );
        let _ = telemetry.shutdown();
    }
}

#[cfg(feature = "tls")]
#[test]
fn braintrust_https_base_url_builds_and_handshakes() {
    let (url, first_bytes) = first_bytes_listener();
    let telemetry = BraintrustConfig::new()
        .api_key("sk")
        .parent(Parent::ExperimentId("e1".into()))
        .base_url(url)
        .into_otlp()
        .unwrap()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    end_span(&telemetry, "to braintrust");
    assert!(telemetry.force_flush().is_err());
    assert_eq!(first_bytes.recv_timeout(WAIT).unwrap()[0], 0x16);
    let _ = telemetry.shutdown();
}

#[test]
fn debug_of_the_built_pipelines_does_not_leak_header_values() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(refused_endpoint())
            .header("authorization", "Bearer sk-leak-check")
            .build()
            .unwrap();
        let shown = format!("{telemetry:?}");
        assert!(!shown.contains("sk-leak-check"), "{protocol}: {shown}");
        let _ = telemetry.shutdown();
    }
}

/// A batch of `max_export_batch_size` spans is exported as soon as it is full, long before
/// the batch delay; with the default size (512) the same spans wait for the delay. And a
/// queue of `max_queue_size` drops what does not fit while nothing is exported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_batch_and_queue_sizes_apply() {
    for (batch, expected) in [(Some(3), 3), (None, 0)] {
        let receiver = OtlpReceiver::start().await.unwrap();
        let mut config = OtlpConfig::new()
            .protocol(Protocol::Grpc)
            .endpoint(receiver.grpc_endpoint())
            .metrics(false)
            .logs(false)
            .batch_delay(Duration::from_secs(3600));
        if let Some(batch) = batch {
            config = config.max_export_batch_size(batch);
        }
        let telemetry = config.build().unwrap();
        for _ in 0..3 {
            end_span(&telemetry, "held");
        }
        let spans = receiver
            .wait_for_spans(3, Duration::from_millis(1500))
            .await;
        assert_eq!(spans.len(), expected, "batch {batch:?}");
        telemetry.shutdown().unwrap();
        receiver.shutdown().await;
    }
    // a queue of 2 (batches are never larger): of 200 spans ended within microseconds,
    // while one export at a time takes a round trip, most find the queue full
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = OtlpConfig::new()
        .protocol(Protocol::Grpc)
        .endpoint(receiver.grpc_endpoint())
        .metrics(false)
        .logs(false)
        .batch_delay(Duration::from_secs(3600))
        .max_queue_size(2)
        .max_export_batch_size(1000)
        .build()
        .unwrap();
    for _ in 0..200 {
        end_span(&telemetry, "queued");
    }
    telemetry.force_flush().unwrap();
    let spans = receiver
        .wait_for_spans(200, Duration::from_millis(800))
        .await;
    assert!((2..100).contains(&spans.len()), "{}", spans.len());
    telemetry.shutdown().unwrap();
    receiver.shutdown().await;
}
