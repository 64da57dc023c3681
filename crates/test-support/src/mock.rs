//! Fixture cases sent through an instrumented client, read while the response is held.

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use mistral_mock::{Fixtures, MockServer};
use mistral_otel::{MistralTracing, MistralTracingBuilder};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, RequestBuilder};

use crate::Recorder;

/// The fake key every test request carries; it must never be exported.
pub const TEST_KEY: &str = "sk-test-0123456789abcdef-not-real";

/// A builder that sends to `recorder` and treats the mock at `server` as Mistral.
pub fn builder(recorder: &Recorder, server: &MockServer) -> MistralTracingBuilder {
    MistralTracing::builder()
        .host(&server.addr().to_string())
        .tracer_provider(&recorder.provider)
        .meter_provider(&recorder.meter_provider)
        .logger_provider(&recorder.logger_provider)
}

/// A `reqwest_middleware` client with `tracing` as its only middleware.
pub fn client(tracing: MistralTracing) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(tracing)
        .build()
}

/// A client traced into `recorder`, content capture as given.
pub fn traced_client(
    recorder: &Recorder,
    server: &MockServer,
    capture: bool,
) -> ClientWithMiddleware {
    client(builder(recorder, server).capture_content(capture).build())
}

/// The request of fixture case `name`, as a client would send it to `server`.
pub fn case_request(
    client: &ClientWithMiddleware,
    fixtures: &Fixtures,
    server: &MockServer,
    name: &str,
) -> RequestBuilder {
    let case = fixtures
        .case(name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let request = fixtures
        .http_request(case, &server.base_url(), TEST_KEY)
        .expect("fixture request");
    let (parts, body) = request.into_parts();
    let url = reqwest::Url::parse(&parts.uri.to_string()).expect("url");
    client
        .request(parts.method, url)
        .headers(parts.headers)
        .body(body)
}

/// What a caller saw of a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Status code.
    pub status: u16,
    /// Headers (without `date`), sorted.
    pub headers: Vec<(String, String)>,
    /// The URL the response reports.
    pub url: String,
    /// `content_length()` before reading.
    pub content_length: Option<u64>,
    /// Every body byte, in order.
    pub body: Bytes,
}

/// A response read to its end and still held (not dropped): what the caller saw, plus the
/// response itself.
#[derive(Debug)]
pub struct Held {
    /// What the caller saw.
    pub seen: Seen,
    /// Body frames as the caller received them.
    pub frames: usize,
    /// Wall time right after the end of the body was read.
    pub read_at: SystemTime,
    /// The response, not yet dropped.
    pub response: reqwest::Response,
}

impl std::ops::Deref for Held {
    type Target = Seen;
    fn deref(&self) -> &Seen {
        &self.seen
    }
}

/// Read a response to its end (`chunk()` until `None`) without dropping it.
pub async fn read_holding(mut response: reqwest::Response) -> Held {
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
    let mut body = BytesMut::new();
    let mut frames = 0;
    while let Some(chunk) = response.chunk().await.expect("body") {
        body.extend_from_slice(&chunk);
        frames += 1;
    }
    Held {
        seen: Seen {
            status,
            headers,
            url,
            content_length,
            body: body.freeze(),
        },
        frames,
        read_at: SystemTime::now(),
        response,
    }
}

/// Send fixture case `name` and read the response to its end, holding it.
pub async fn send_case(
    client: &ClientWithMiddleware,
    fixtures: &Fixtures,
    server: &MockServer,
    name: &str,
) -> Held {
    let response = case_request(client, fixtures, server, name)
        .send()
        .await
        .expect("send");
    read_holding(response).await
}

/// Add a case `POST {path}` (a turn when `path` is a conversations path) answered with
/// `status`, `content_type` and `body`; the request asks for a stream when `stream`.
pub fn push_turn_case(
    fixtures: &mut Fixtures,
    name: &str,
    path: &str,
    stream: bool,
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
) {
    let request = format!(r#"{{"inputs":"hi","model":"mistral-small-latest","stream":{stream}}}"#);
    push_case(fixtures, name, path, &request, status, content_type, body);
}

/// Add a case `POST {path}` with the JSON `request` body, answered with `status`,
/// `content_type` and `body`; the request accepts `text/event-stream` when it asks for a
/// stream (`"stream":true`).
pub fn push_case(
    fixtures: &mut Fixtures,
    name: &str,
    path: &str,
    request: &str,
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
) {
    let accept = if request.replace(' ', "").contains(r#""stream":true"#) {
        "text/event-stream"
    } else {
        "application/json"
    };
    let case = mistral_mock::Case {
        name: name.to_owned(),
        method: "POST".to_owned(),
        path: path.to_owned(),
        request_headers: [
            ("Authorization", "Bearer <MISTRAL_API_KEY>"),
            ("Accept", accept),
            ("Content-Type", "application/json"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        status,
        response_headers: [("content-type".to_owned(), content_type.to_owned())].into(),
        ..mistral_mock::Case::default()
    };
    fixtures.push_case(
        case,
        Some(Bytes::from(request.to_owned())),
        Some(body.into()),
    );
}

/// The fixture set `set` under `tests/fixtures/`.
pub fn fixtures(set: &str) -> Fixtures {
    Fixtures::load(crate::fixtures_dir(set)).expect("fixtures")
}

/// A mock serving the fixture set `set`.
pub async fn server(set: &str) -> MockServer {
    MockServer::builder(fixtures(set))
        .start()
        .await
        .expect("mock server")
}
