//! No secret leaves through what is exported: a URL's query and userinfo never reach an
//! attribute, a status or an event (transport error messages carry the full URL), and
//! request headers (the key) are never exported.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::mock::{builder, client};
use mistral_otel_test_support::{Recorder, attr_str, client_span, exported_text, fixtures_dir};

const QUERY_CANARY: &str = "CANARY-query-5f0e";
const USER_CANARY: &str = "CANARY-user-77a1";
const HEADER_CANARY: &str = "CANARY-header-c3d9";
const KEY_CANARY: &str = "CANARY-key-0b42";

fn assert_clean(recorder: &Recorder) {
    let text = exported_text(&recorder.spans());
    for canary in [QUERY_CANARY, USER_CANARY, HEADER_CANARY, KEY_CANARY] {
        assert!(!text.contains(canary), "{canary} was exported:\n{text}");
    }
}

fn request(
    client: &reqwest_middleware::ClientWithMiddleware,
    base: &str,
) -> reqwest_middleware::RequestBuilder {
    let (scheme, rest) = base.split_once("://").unwrap();
    client
        .post(format!(
            "{scheme}://{USER_CANARY}:pw@{rest}/v1/conversations?api_key={QUERY_CANARY}&x=1"
        ))
        .header("x-api-key", HEADER_CANARY)
        .bearer_auth(KEY_CANARY)
        .header("content-type", "application/json")
        .body(r#"{"inputs":"hi","model":"mistral-small-latest","stream":true}"#)
}

#[tokio::test]
async fn a_transport_error_message_is_exported_without_the_urls_query_or_userinfo() {
    // a port nothing listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let recorder = Recorder::new();
    let client = client(
        mistral_otel::MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .build(),
    );
    let err = request(&client, &format!("http://127.0.0.1:{port}"))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(QUERY_CANARY),
        "the caller's error is untouched: {err}"
    );
    let spans = recorder.spans();
    let turn = client_span(&spans);
    assert_eq!(attr_str(turn, "error.type").as_deref(), Some("connect"));
    let text = exported_text(&spans);
    assert!(
        text.contains(&format!("127.0.0.1:{port}/v1/conversations")),
        "{text}"
    );
    assert_clean(&recorder);
}

#[tokio::test]
async fn a_body_error_message_is_exported_without_the_urls_query_or_userinfo() {
    let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
    let server = MockServer::builder(fixtures)
        .fail_after_bytes("start_stream_tools", 700)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = client(builder(&recorder, &server).capture_content(true).build());
    let response = request(&client, &server.base_url())
        .header(mistral_mock::CASE_HEADER, "start_stream_tools")
        .send()
        .await
        .unwrap();
    assert!(response.bytes().await.is_err());
    let spans = recorder.spans();
    assert_eq!(
        attr_str(client_span(&spans), "mistral_ai.stream.outcome").as_deref(),
        Some("error")
    );
    assert_clean(&recorder);
}

#[tokio::test]
async fn a_successful_call_exports_no_header_query_or_userinfo() {
    let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
    let server = MockServer::builder(fixtures).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(builder(&recorder, &server).capture_content(true).build());
    let response = request(&client, &server.base_url())
        .header(mistral_mock::CASE_HEADER, "start_stream_tools")
        .send()
        .await
        .unwrap();
    response.bytes().await.unwrap();
    assert!(recorder.spans().len() > 1);
    assert_clean(&recorder);
}
