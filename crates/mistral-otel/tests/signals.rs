//! Operational signals: GenAI metrics, W3C propagation, retry placement and `tracing`
//! interop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use http::Extensions;
use mistral_otel::MistralTracing;
use mistral_otel::options::DisablePropagation;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData};
use reqwest_middleware::{ClientBuilder, Middleware, Next};

type Point<T> = (Vec<KeyValue>, Vec<f64>, u64, T, String);

fn histogram_points_f64(recorder: &Recorder, name: &str) -> Vec<Point<f64>> {
    let mut out = Vec::new();
    for rm in recorder.metrics() {
        for sm in rm.scope_metrics() {
            for m in sm.metrics().filter(|m| m.name() == name) {
                if let AggregatedMetrics::F64(MetricData::Histogram(h)) = m.data() {
                    for p in h.data_points() {
                        out.push(point(p, m.unit()));
                    }
                }
            }
        }
    }
    out
}

fn point(p: &HistogramDataPoint<f64>, unit: &str) -> Point<f64> {
    (
        p.attributes().cloned().collect(),
        p.bounds().collect(),
        p.count(),
        p.sum(),
        unit.to_owned(),
    )
}

fn token_points(recorder: &Recorder) -> Vec<Point<u64>> {
    let mut out = Vec::new();
    for rm in recorder.metrics() {
        for sm in rm.scope_metrics() {
            for m in sm
                .metrics()
                .filter(|m| m.name() == "gen_ai.client.token.usage")
            {
                if let AggregatedMetrics::U64(MetricData::Histogram(h)) = m.data() {
                    for p in h.data_points() {
                        out.push((
                            p.attributes().cloned().collect(),
                            p.bounds().collect(),
                            p.count(),
                            p.sum(),
                            m.unit().to_owned(),
                        ));
                    }
                }
            }
        }
    }
    out
}

fn get(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[tokio::test]
async fn genai_metrics_carry_the_conventions_names_buckets_attributes_and_fixture_usage() {
    let recorder = Recorder::new();
    // bodies in 256-byte pieces: chunk gaps are recorded per network frame with output
    let server = mistral_mock::MockServer::builder(fixtures("mistral"))
        .chunk_bytes(256)
        .start()
        .await
        .unwrap();
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    send_case(&client, &fixtures, &server, "start_web_search").await;
    send_case(&client, &fixtures, &server, "error_429").await;
    send_case(&client, &fixtures, &server, "start_stream_tools").await;

    let duration = histogram_points_f64(&recorder, "gen_ai.client.operation.duration");
    assert!(!duration.is_empty());
    let buckets = vec![
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
    let total: u64 = duration.iter().map(|d| d.2).sum();
    assert_eq!(total, 3, "one duration per turn");
    for (attrs, bounds, _, _, unit) in &duration {
        assert_eq!(bounds, &buckets);
        assert_eq!(unit, "s");
        assert_eq!(
            get(attrs, "gen_ai.operation.name").as_deref(),
            Some("invoke_agent")
        );
        assert_eq!(
            get(attrs, "gen_ai.provider.name").as_deref(),
            Some("mistral_ai")
        );
        assert_eq!(
            get(attrs, "gen_ai.request.model").as_deref(),
            Some("mistral-medium-latest")
        );
        assert_eq!(get(attrs, "server.address").as_deref(), Some("127.0.0.1"));
        assert!(get(attrs, "server.port").is_some());
    }
    assert!(
        duration
            .iter()
            .any(|d| get(&d.0, "error.type").as_deref() == Some("rate_limited")),
        "the 429 turn is recorded with error.type"
    );

    let tokens = token_points(&recorder);
    let sum_for = |kind: &str| -> u64 {
        tokens
            .iter()
            .filter(|t| get(&t.0, "gen_ai.token.type").as_deref() == Some(kind))
            .map(|t| t.3)
            .sum()
    };
    // start_web_search 231/97 + start_stream_tools usage
    let stream_usage = fixtures
        .expected_aggregate(fixtures.case("start_stream_tools").unwrap())
        .unwrap()["usage"]
        .clone();
    assert_eq!(
        sum_for("input"),
        231 + stream_usage["prompt_tokens"].as_u64().unwrap()
    );
    assert_eq!(
        sum_for("output"),
        97 + stream_usage["completion_tokens"].as_u64().unwrap()
    );
    for (attrs, bounds, _, _, unit) in &tokens {
        assert_eq!(unit, "{token}");
        assert_eq!(bounds[0], 1.0);
        assert_eq!(*bounds.last().unwrap(), 67108864.0);
        assert_eq!(
            get(attrs, "gen_ai.response.model").as_deref(),
            Some("mistral-medium-latest")
        );
    }

    let ttfc = histogram_points_f64(&recorder, "gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(ttfc.iter().map(|p| p.2).sum::<u64>(), 1, "one stream");
    assert_eq!(ttfc[0].1, buckets);
    let per_chunk =
        histogram_points_f64(&recorder, "gen_ai.client.operation.time_per_output_chunk");
    assert!(per_chunk.iter().map(|p| p.2).sum::<u64>() > 5);

    let tool = histogram_points_f64(&recorder, "mistral_ai.tool.duration");
    assert!(
        tool.iter()
            .all(|p| get(&p.0, "gen_ai.tool.name").as_deref() == Some("web_search"))
    );
    assert_eq!(
        tool.iter().map(|p| p.2).sum::<u64>(),
        2,
        "plain and streamed web_search"
    );
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .build(),
    );
    send_case(&client, &fixtures, &server, "start_web_search").await;
    assert!(histogram_points_f64(&recorder, "gen_ai.client.operation.duration").is_empty());
}

#[tokio::test]
async fn traceparent_is_injected_unless_disabled_per_request_or_per_client() {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    send_case(&client, &fixtures, &server, "append").await;
    case_request(&client, &fixtures, &server, "append")
        .with_extension(DisablePropagation)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let quiet = mistral_otel_test_support::mock::client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .propagate(false)
            .build(),
    );
    send_case(&quiet, &fixtures, &server, "append").await;

    let requests = server.requests();
    let spans = recorder.spans();
    let turns: Vec<_> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    let header = requests[0]
        .header("traceparent")
        .expect("traceparent injected");
    let expected = format!(
        "00-{}-{}-01",
        turns[0].span_context.trace_id(),
        turns[0].span_context.span_id()
    );
    assert_eq!(
        header, expected,
        "the server sees the turn span as its parent"
    );
    assert!(
        requests[1].header("traceparent").is_none(),
        "per-request opt-out"
    );
    assert!(
        requests[2].header("traceparent").is_none(),
        "per-client opt-out"
    );
}

/// A minimal retry middleware: retries once when the first attempt got a 429.
struct RetryOnce(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Middleware for RetryOnce {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let retry = req.try_clone().unwrap();
        self.0.fetch_add(1, Ordering::SeqCst);
        let first = next.clone().run(req, ext).await?;
        if first.status() != 429 {
            return Ok(first);
        }
        first.bytes().await?;
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(retry, ext).await
    }
}

#[tokio::test]
async fn retry_inside_gives_one_turn_span_retry_outside_gives_one_per_attempt() {
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    for inside in [true, false] {
        let recorder = Recorder::new();
        let attempts = Arc::new(AtomicUsize::new(0));
        let mw = MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .build();
        let builder = ClientBuilder::new(reqwest::Client::new());
        let client = if inside {
            builder.with(mw).with(RetryOnce(attempts.clone())).build()
        } else {
            builder.with(RetryOnce(attempts.clone())).with(mw).build()
        };
        // error_429 always answers 429: both attempts are rate limited
        send_case(&client, &fixtures, &server, "error_429").await;
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        let turns = recorder
            .spans()
            .into_iter()
            .filter(|s| s.span_kind == SpanKind::Client)
            .count();
        assert_eq!(turns, if inside { 1 } else { 2 }, "inside = {inside}");
    }
}

#[tokio::test]
async fn turn_spans_nest_under_tracing_spans_via_tracing_opentelemetry() {
    use tracing_subscriber::layer::SubscriberExt;
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(recorder.provider.tracer("app")));
    let _guard = tracing::subscriber::set_default(subscriber);
    let span = tracing::info_span!("handle_support_ticket");
    {
        use tracing::Instrument;
        async {
            // tracing-opentelemetry makes the tracing span's context current for OpenTelemetry
            let cx =
                tracing_opentelemetry::OpenTelemetrySpanExt::context(&tracing::Span::current());
            opentelemetry::context::FutureExt::with_context(
                async {
                    let mut s = case_request(&client, &fixtures, &server, "start_stream_tools")
                        .send()
                        .await
                        .unwrap()
                        .bytes_stream();
                    while s.next().await.is_some() {}
                },
                cx,
            )
            .await;
        }
        .instrument(span)
        .await;
    }
    let spans = recorder.spans();
    let app = one(&spans, "handle_support_ticket");
    let turn = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .unwrap();
    assert_eq!(turn.parent_span_id, app.span_context.span_id());
    assert_eq!(turn.span_context.trace_id(), app.span_context.trace_id());
    assert_children_inside_parents(&spans);
}
