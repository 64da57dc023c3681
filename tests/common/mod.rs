//! Shared helpers for the end-to-end tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::Bytes;
use mistral_mock::{CASE_HEADER, Fixtures, MockServer};
use mistral_otel::MistralTracing;
use mistral_otel_suite::{Recorder, fixtures_dir};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

/// The fake key every test request carries; it must never be exported.
pub const TEST_KEY: &str = "sk-test-0123456789abcdef-not-real";

pub fn fixtures() -> Fixtures {
    Fixtures::load(fixtures_dir()).expect("fixtures")
}

pub async fn server() -> MockServer {
    MockServer::builder(fixtures())
        .start()
        .await
        .expect("mock server")
}

pub fn client(mw: MistralTracing) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new()).with(mw).build()
}

pub fn traced_client(recorder: &Recorder, capture: bool) -> ClientWithMiddleware {
    client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .meter_provider(&recorder.meter_provider)
            .capture_content(capture)
            .build(),
    )
}

/// What a caller sees of a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub url: String,
    pub content_length: Option<u64>,
    pub body: Bytes,
}

/// Build the request of a manifest case as a client would send it.
pub fn case_request(
    client: &ClientWithMiddleware,
    fixtures: &Fixtures,
    base: &str,
    name: &str,
) -> reqwest_middleware::RequestBuilder {
    let case = fixtures
        .case(name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
    let mut url = reqwest::Url::parse(&format!("{base}{}", case.path)).unwrap();
    if !case.query.is_empty() {
        url.query_pairs_mut().extend_pairs(case.query.iter());
    }
    let mut rb = client.request(method, url).header(CASE_HEADER, name);
    for (k, v) in &case.request_headers {
        rb = rb.header(k, v.replace("<MISTRAL_API_KEY>", TEST_KEY));
    }
    if let Some(body) = fixtures.request_body(case) {
        rb = rb.body(body);
    }
    rb
}

pub async fn read(response: reqwest::Response) -> Seen {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    headers.sort();
    let url = response.url().to_string();
    let content_length = response.content_length();
    let body = response.bytes().await.expect("body");
    Seen {
        status,
        headers,
        url,
        content_length,
        body,
    }
}

pub async fn send_case(
    client: &ClientWithMiddleware,
    fixtures: &Fixtures,
    base: &str,
    name: &str,
) -> Seen {
    let response = case_request(client, fixtures, base, name)
        .send()
        .await
        .expect("send");
    read(response).await
}
