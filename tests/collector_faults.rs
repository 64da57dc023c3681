//! A broken collector never breaks the application: refused, hanging, slow and failing
//! OTLP endpoints leave every turn's result unchanged, end every span, and panic nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use mistral_otel::MistralTracing;
use mistral_otel_export::{OtlpConfig, Protocol};
use mistral_otel_test_support::mock::{client, fixtures, send_case, server};
use mistral_otel_test_support::{CountingProcessor, SpanCounter};
use otlp_receiver::{Behavior, OtlpReceiver};

const TURNS: usize = 240;
const CASES: [&str; 4] = [
    "start_web_search",
    "start_stream_tools",
    "append",
    "start_stream_agent_handoff",
];

/// Runs the turns; returns the counter, how many callers got the fixture's bytes, and how
/// many spans were ended while every response was still held (by the instrumentation,
/// not by the SDK's end-on-drop).
async fn run_against(endpoint: String, protocol: Protocol) -> (Arc<SpanCounter>, usize, usize) {
    let counter = Arc::new(SpanCounter::default());
    let processor = CountingProcessor(counter.clone());
    let telemetry = OtlpConfig::new()
        .protocol(protocol)
        .endpoint(endpoint)
        .timeout(Duration::from_millis(300))
        .batch_delay(Duration::from_millis(20))
        .metrics(false)
        .build_with(|b| b.with_span_processor(processor))
        .unwrap();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(telemetry.tracer_provider())
            .metrics(false)
            .build(),
    );
    let mut unchanged = 0;
    let mut held = Vec::with_capacity(TURNS);
    for batch in (0..TURNS).collect::<Vec<_>>().chunks(24) {
        let results = join_all(batch.iter().map(|i| {
            let case = CASES[i % CASES.len()];
            let (client, fixtures, server) = (&client, &fixtures, &server);
            async move {
                let seen = send_case(client, fixtures, server, case).await;
                let same = seen.body
                    == fixtures
                        .response_body(fixtures.case(case).unwrap())
                        .unwrap();
                (same, seen)
            }
        }))
        .await;
        for (same, seen) in results {
            unchanged += usize::from(same);
            held.push(seen);
        }
    }
    let ended_while_held = counter.ended();
    drop(held);
    // flushing may fail (that is the collector's fault); it must return, not hang or panic
    let _ = telemetry.force_flush();
    let _ = telemetry.shutdown();
    (counter, unchanged, ended_while_held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_hanging_slow_and_failing_collectors_leave_every_turn_intact() {
    // refused: a port nothing listens on
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (counter, unchanged, ended) = run_against(refused, Protocol::HttpProtobuf).await;
    assert_eq!(
        unchanged, TURNS,
        "refused: every caller got the fixture's bytes"
    );
    assert_eq!(counter.started(), ended, "refused: a span was left open");
    assert!(counter.ended() >= TURNS * 2);

    for (label, behavior) in [
        ("hanging", Behavior::Hang),
        ("slow", Behavior::Slow(Duration::from_millis(200))),
        ("failing", Behavior::Status500),
    ] {
        for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
            let collector = OtlpReceiver::start().await.unwrap();
            collector.set_behavior(behavior);
            let endpoint = match protocol {
                Protocol::Grpc => collector.grpc_endpoint(),
                Protocol::HttpProtobuf => collector.http_endpoint(),
            };
            let (counter, unchanged, ended) = run_against(endpoint, protocol).await;
            assert_eq!(unchanged, TURNS, "{label} {protocol:?}: results changed");
            assert_eq!(
                counter.started(),
                ended,
                "{label} {protocol:?}: a span was left open"
            );
            let received = collector.spans().len();
            let dropped = counter.ended().saturating_sub(received);
            println!(
                "{label} {protocol:?}: {} spans ended, {received} arrived at the collector (answered or not), {dropped} never sent",
                counter.ended()
            );
            collector.shutdown().await;
        }
    }
}
