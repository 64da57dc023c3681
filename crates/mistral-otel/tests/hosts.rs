//! Only Mistral's requests are traced: Mistral's hosts by default, plus the hosts and base
//! URLs the application adds. Any other request passes through untouched: no span, no
//! parsing, no `traceparent`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use mistral_otel_test_support::mock::{TEST_KEY, builder, client};
use mistral_otel_test_support::{Recorder, fixtures_dir};
use opentelemetry_sdk::propagation::TraceContextPropagator;

const START: &str = r#"{"inputs":"hi","model":"mistral-small-latest","stream":false}"#;

async fn post(client: &reqwest_middleware::ClientWithMiddleware, url: &str) -> (u16, bytes::Bytes) {
    let response = client
        .post(url)
        .bearer_auth(TEST_KEY)
        .header("content-type", "application/json")
        .body(START)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap())
}

async fn server() -> MockServer {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    MockServer::builder(Fixtures::load(fixtures_dir("mistral")).unwrap())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_request_to_another_host_gets_no_span_and_no_traceparent() {
    let server = server().await;
    let recorder = Recorder::new();
    // Mistral is the mock at 127.0.0.1:PORT; localhost:PORT is "another host" (the same
    // server, so both answers can be compared)
    let client = client(builder(&recorder, &server).build());
    let port = server.addr().port();
    let other = post(
        &client,
        &format!("http://localhost:{port}/v1/conversations"),
    )
    .await;
    assert!(recorder.spans().is_empty(), "no span for another host");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("traceparent"),
        None,
        "no header for another host"
    );

    let mistral = post(
        &client,
        &format!("http://127.0.0.1:{port}/v1/conversations"),
    )
    .await;
    assert_eq!(
        mistral, other,
        "the middleware changes nothing the caller sees"
    );
    assert_eq!(
        recorder.spans().len(),
        3,
        "turn, tool and chat spans for Mistral"
    );
    assert!(server.requests()[1].header("traceparent").is_some());
}

#[tokio::test]
async fn without_added_hosts_only_mistrals_own_hosts_are_traced() {
    let server = server().await;
    let recorder = Recorder::new();
    // what an OpenAI (or any non-Mistral) host serving /v1/conversations gets
    let client = client(
        MistralTracing::builder()
            .tracer_provider(&recorder.provider)
            .build(),
    );
    post(&client, &format!("{}/v1/conversations", server.base_url())).await;
    assert!(recorder.spans().is_empty());
    assert_eq!(server.requests()[0].header("traceparent"), None);
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_is_recognised_and_required() {
    let server = server().await;
    let recorder = Recorder::new();
    let client = client(
        MistralTracing::builder()
            .tracer_provider(&recorder.provider)
            .base_url(
                format!("{}/gateway/mistral", server.base_url())
                    .parse()
                    .unwrap(),
            )
            .build(),
    );
    // under the prefix: recognised as a start turn (the mock, which has no prefix, says 404)
    let (status, _) = post(
        &client,
        &format!("{}/gateway/mistral/v1/conversations", server.base_url()),
    )
    .await;
    assert_eq!(status, 404);
    let spans = recorder.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "invoke_agent");
    // same host without the prefix: not Mistral's
    post(&client, &format!("{}/v1/conversations", server.base_url())).await;
    assert_eq!(recorder.spans().len(), 1);
    assert_eq!(server.requests()[1].header("traceparent"), None);
}
