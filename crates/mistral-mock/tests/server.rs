//! The mock server over real HTTP, with a plain reqwest client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use mistral_mock::{CASE_HEADER, Case, Fixtures, MockServer};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mistral");

fn fixtures() -> Fixtures {
    Fixtures::load(DIR).unwrap()
}

/// The case's path and query on `base`.
fn url(base: &str, case: &Case) -> String {
    if case.query.is_empty() {
        return format!("{base}{}", case.path);
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&case.query)
        .finish();
    format!("{base}{}?{query}", case.path)
}

/// Sends `case` as a client would (headers, query, body), optionally naming it.
async fn send(
    client: &reqwest::Client,
    server: &MockServer,
    fixtures: &Fixtures,
    case: &Case,
    by_name: bool,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
    let mut request = client.request(method, url(&server.base_url(), case));
    for (name, value) in &case.request_headers {
        request = request.header(name, value.replace("<MISTRAL_API_KEY>", "sk-test"));
    }
    if by_name {
        request = request.header(CASE_HEADER, &case.name);
    }
    if let Some(body) = fixtures.request_body(case) {
        request = request.body(body);
    }
    request.send().await.unwrap()
}

/// Reads the body frame by frame, with the arrival time of each frame.
async fn frames(response: reqwest::Response) -> (Vec<(Instant, Bytes)>, Option<reqwest::Error>) {
    let mut stream = response.bytes_stream();
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(bytes) => out.push((Instant::now(), bytes)),
            Err(err) => return (out, Some(err)),
        }
    }
    (out, None)
}

fn joined(frames: &[(Instant, Bytes)]) -> Vec<u8> {
    frames.iter().flat_map(|(_, b)| b.to_vec()).collect()
}

#[tokio::test]
async fn every_fixture_case_is_served_byte_identical() {
    let fixtures = fixtures();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = reqwest::Client::new();
    for case in fixtures.cases() {
        // error_429 shares method, path and body with start_web_search: only its name tells it apart.
        let by_name = case.name == "error_429";
        let response = send(&client, &server, &fixtures, case, by_name).await;
        assert_eq!(response.status().as_u16(), case.status, "{}", case.name);
        for (name, value) in &case.response_headers {
            assert_eq!(
                response.headers().get(name).map(|v| v.to_str().unwrap()),
                Some(value.as_str()),
                "{}: header {name}",
                case.name
            );
        }
        let content_length = response.headers().get("content-length").cloned();
        let body = response.bytes().await.unwrap();
        let expected = fixtures.response_body(case).unwrap_or_default();
        assert_eq!(body, expected, "{}: body", case.name);
        if case.is_stream() {
            assert_eq!(content_length, None, "{}: a stream is chunked", case.name);
        } else if case.status != 204 {
            assert_eq!(
                content_length.map(|v| v.to_str().unwrap().parse::<usize>().unwrap()),
                Some(expected.len()),
                "{}: content-length",
                case.name
            );
        }
    }
    let answered: Vec<Option<String>> = server.requests().into_iter().map(|r| r.case).collect();
    let names: Vec<Option<String>> = fixtures
        .cases()
        .iter()
        .map(|c| Some(c.name.clone()))
        .collect();
    assert_eq!(
        answered, names,
        "matching picked the recorded case for each request"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn requests_are_recorded_with_headers_query_and_body_len() {
    let fixtures = fixtures();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = reqwest::Client::new();
    let list = fixtures.case("list").unwrap();
    send(&client, &server, &fixtures, list, false).await;
    let append = fixtures.case("append").unwrap();
    send(&client, &server, &fixtures, append, false).await;

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/v1/conversations");
    assert_eq!(requests[0].query.as_deref(), Some("page=0&page_size=20"));
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(requests[0].body_len, 0);
    assert_eq!(
        requests[1].body_len,
        fixtures.request_body(append).unwrap().len()
    );
    assert_eq!(requests[1].case.as_deref(), Some("append"));
    server.shutdown().await;
}

#[tokio::test]
async fn chunked_delayed_stream_arrives_in_pieces_over_time() {
    let fixtures = fixtures();
    let case = fixtures.case("start_stream_tools").unwrap().clone();
    let expected = fixtures.response_body(&case).unwrap();
    let (piece, delay) = (256, Duration::from_millis(40));
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(piece)
        .chunk_delay(delay)
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    let response = send(&reqwest::Client::new(), &server, &fixtures, &case, false).await;
    let (frames, error) = frames(response).await;
    assert!(error.is_none());
    assert_eq!(joined(&frames), expected);

    let pieces = expected.len().div_ceil(piece);
    assert!(pieces >= 4, "the fixture is long enough to cut");
    assert!(frames.len() >= pieces, "{} frames", frames.len());
    assert!(frames.iter().all(|(_, b)| b.len() <= piece));
    // The first piece is not held back; the rest come one delay apart.
    let first = frames[0].0.duration_since(started);
    let spread = frames[frames.len() - 1].0.duration_since(frames[0].0);
    assert!(first < delay * 2, "first piece after {first:?}");
    assert!(
        spread >= delay * (pieces as u32 - 1) * 9 / 10,
        "spread {spread:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn chunking_sends_json_bodies_without_content_length() {
    let fixtures = fixtures();
    let case = fixtures.case("get").unwrap().clone();
    let server = MockServer::builder(fixtures.clone())
        .random_chunks(7, 33)
        .start()
        .await
        .unwrap();
    let response = send(&reqwest::Client::new(), &server, &fixtures, &case, false).await;
    assert!(response.headers().get("content-length").is_none());
    let (frames, error) = frames(response).await;
    assert!(error.is_none());
    assert_eq!(joined(&frames), fixtures.response_body(&case).unwrap());
    assert!(frames.len() > 1);
    server.shutdown().await;
}

#[tokio::test]
async fn fail_after_bytes_gives_the_client_a_body_error_after_n_bytes() {
    let fixtures = fixtures();
    let case = fixtures.case("start_stream_agent_handoff").unwrap().clone();
    let expected = fixtures.response_body(&case).unwrap();
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(100)
        .fail_after_bytes(&case.name, 250)
        .start()
        .await
        .unwrap();
    let response = send(&reqwest::Client::new(), &server, &fixtures, &case, false).await;
    assert_eq!(response.status(), 200);
    let (frames, error) = frames(response).await;
    assert!(error.is_some(), "the body must end in an error");
    assert_eq!(joined(&frames), &expected[..250]);

    // Other cases are unaffected.
    let get = fixtures.case("get").unwrap();
    let response = send(&reqwest::Client::new(), &server, &fixtures, get, false).await;
    assert_eq!(
        response.bytes().await.unwrap(),
        fixtures.response_body(get).unwrap()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn case_header_selects_a_case_that_matching_cannot() {
    let fixtures = fixtures();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = reqwest::Client::new();
    let error_429 = fixtures.case("error_429").unwrap();
    let unnamed = send(&client, &server, &fixtures, error_429, false).await;
    assert_eq!(unnamed.status(), 200, "same request as start_web_search");
    let named = send(&client, &server, &fixtures, error_429, true).await;
    assert_eq!(named.status(), 429);
    assert_eq!(
        named.bytes().await.unwrap(),
        fixtures.response_body(error_429).unwrap()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_request_gets_a_404_error_envelope() {
    let server = MockServer::builder(fixtures()).start().await.unwrap();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/x", server.base_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "object": "error",
            "message": "no fixture matches POST /x",
            "type": "mock_not_found",
            "param": null,
            "code": null,
        })
    );
    let unknown_name = client
        .get(format!("{}/v1/conversations", server.base_url()))
        .header(CASE_HEADER, "no_such_case")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_name.status(), 404);
    assert_eq!(server.requests()[0].case, None);
    server.shutdown().await;
}

#[tokio::test]
async fn multi_mebibyte_upload_is_accepted_and_counted() {
    let fixtures = fixtures();
    let case = fixtures.case("library_document_upload").unwrap().clone();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let size = 6 * 1024 * 1024 + 17;
    let response = reqwest::Client::new()
        .post(format!("{}{}", server.base_url(), case.path))
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body(vec![b'a'; size])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.bytes().await.unwrap(),
        fixtures.response_body(&case).unwrap()
    );
    assert_eq!(server.requests()[0].body_len, size);
    server.shutdown().await;
}

#[tokio::test]
async fn pushed_case_serves_its_own_body() {
    let mut fixtures = Fixtures::empty();
    let body = Bytes::from(vec![b'x'; 3 * 1024 * 1024]);
    fixtures.push_case(
        Case {
            name: "huge".into(),
            path: "/huge".into(),
            ..Case::default()
        },
        None,
        Some(body.clone()),
    );
    let server = MockServer::builder(fixtures).start().await.unwrap();
    let got = reqwest::get(format!("{}/huge", server.base_url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got, body);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_all_get_their_case() {
    let fixtures = fixtures();
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(512)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let cases: Vec<Case> = fixtures.cases().to_vec();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let case = cases[i % cases.len()].clone();
            let (client, fixtures) = (client.clone(), fixtures.clone());
            let base = server.base_url();
            tokio::spawn(async move {
                let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
                let mut request = client
                    .request(method, url(&base, &case))
                    .header(CASE_HEADER, &case.name);
                if let Some(body) = fixtures.request_body(&case) {
                    request = request.body(body);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status().as_u16(), case.status, "{}", case.name);
                let body = response.bytes().await.unwrap();
                assert_eq!(body, fixtures.response_body(&case).unwrap_or_default());
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.requests().len(), 200);
    server.shutdown().await;
}
