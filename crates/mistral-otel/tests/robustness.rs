//! Robustness end to end (trace model §8): any chunking gives the same tree, arbitrary
//! bodies never disturb the caller or leave a span open, giant bodies pass through
//! byte-identical with collection stopped and marked, and multipart uploads pass
//! through unread.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use bytes::Bytes;
use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::Value;
use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

const STREAM_CASES: [&str; 4] = [
    "start_stream_tools",
    "start_stream_agent_handoff",
    "append_stream_function_result",
    "start_stream_error",
];

/// 64 MiB: well past the default event cap (4 MiB) and body cap (8 MiB).
const GIANT: usize = 64 * 1024 * 1024;

/// One runtime for every property case (a runtime per case would dominate the time).
static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

/// A [`tree_shape`].
type Shape = Vec<(usize, String, String)>;

/// The tree of each stream fixture served whole: what every chunking must reproduce.
static WHOLE_TREES: LazyLock<HashMap<&'static str, Shape>> = LazyLock::new(|| {
    RT.block_on(async {
        let fixtures = fixtures("mistral");
        let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
        let mut trees = HashMap::new();
        for case in STREAM_CASES {
            let recorder = Recorder::new();
            let client = traced_client(&recorder, &server, false);
            send_case(&client, &fixtures, &server, case).await;
            trees.insert(case, tree_shape(&recorder.spans()));
        }
        trees
    })
});

/// Every line of the stream fixtures (with its line break): material for bodies that
/// look like real streams in parts.
static FIXTURE_LINES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let fixtures = fixtures("mistral");
    STREAM_CASES
        .iter()
        .flat_map(|case| {
            let body = fixtures
                .response_body(fixtures.case(case).unwrap())
                .unwrap();
            body.split_inclusive(|&b| b == b'\n')
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect()
});

/// A start call (`POST /v1/conversations`) answered with `body` as `content_type`.
fn synthetic_start(name: &str, stream: bool, content_type: &str, body: Bytes) -> Fixtures {
    let mut fixtures = Fixtures::empty();
    push_turn_case(
        &mut fixtures,
        name,
        "/v1/conversations",
        stream,
        200,
        content_type,
        body,
    );
    fixtures
}

fn the_turn(spans: &[SpanData]) -> &SpanData {
    let turns: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(turns.len(), 1, "{:?}", names(spans));
    turns[0]
}

/// SSE-looking bytes: real fixture lines, framing tokens, event JSON fragments and noise.
fn sse_like_body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => (0..FIXTURE_LINES.len()).prop_map(|i| FIXTURE_LINES[i].clone()),
        2 => prop::sample::select(vec![
            &b"\n"[..], b"\r", b"\r\n", b"\n\n", b":", b": keep-alive\n", b"event: ", b"data: ",
            b"data:", b"event: message.output.delta\n", b"event: conversation.response.done\n",
            b"{", b"}", b"\"", b"\xEF\xBB\xBF", b"\xff\xfe",
            b"{\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":1}}",
            b"{\"type\":\"message.output.delta\",\"output_index\":4294967295,\"content\":{}}",
            b"{\"type\":\"tool.execution.done\",\"output_index\":7}",
            b"{\"type\":\"agent.handoff.started\",\"output_index\":0,\"next_agent_name\":\"x\"}",
            b"{\"type\":\"conversation.response.error\",\"message\":\"boom\",\"code\":3000}",
        ])
        .prop_map(<[u8]>::to_vec),
        2 => prop::collection::vec(any::<u8>(), 0..24),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Read a response as a stream, comparing each chunk with the matching slice of
/// `expected` (no second copy of a giant body); returns the byte count.
/// Read to the end without dropping the response, comparing every byte on the way.
async fn read_and_compare(response: &mut reqwest::Response, expected: &Bytes) -> usize {
    let mut offset = 0;
    while let Some(chunk) = response.chunk().await.expect("body chunk") {
        let end = offset + chunk.len();
        assert!(end <= expected.len(), "more bytes than the server sent");
        assert!(
            chunk[..] == expected[offset..end],
            "bytes differ in {offset}..{end}"
        );
        offset = end;
    }
    offset
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_chunking_of_a_stream_fixture_gives_the_tree_of_the_whole_body(
        case in prop::sample::select(STREAM_CASES.to_vec()),
        seed in any::<u64>(),
        max in 1usize..600,
        capture in any::<bool>(),
    ) {
        let reference = &WHOLE_TREES[case];
        RT.block_on(async {
            let fixtures = fixtures("mistral");
            let server = MockServer::builder(fixtures.clone())
                .random_chunks(seed, max)
                .start()
                .await
                .unwrap();
            let recorder = Recorder::new();
            let client = traced_client(&recorder, &server, capture);
            let seen = send_case(&client, &fixtures, &server, case).await;
            assert_eq!(Some(seen.body.clone()), fixtures.response_body(fixtures.case(case).unwrap()));
            let spans = recorder.assert_all_exported(case);
            drop(seen);
            assert_eq!(&tree_shape(&spans), reference, "{case} cut by seed {seed}, max {max}");
            assert_children_inside_parents(&spans);
        });
    }

    #[test]
    fn arbitrary_bytes_as_a_turn_body_reach_the_caller_unchanged_and_end_every_span(
        body in prop_oneof![sse_like_body(), prop::collection::vec(any::<u8>(), 0..2048)],
        as_stream in prop::bool::weighted(0.8),
        seed in any::<u64>(),
        max in 1usize..300,
        max_event_bytes in prop::sample::select(vec![16usize, 256, 4096, 4 * 1024 * 1024]),
        capture in any::<bool>(),
    ) {
        let body = Bytes::from(body);
        let content_type = if as_stream { "text/event-stream" } else { "application/json" };
        let fixtures = synthetic_start("arbitrary", as_stream, content_type, body.clone());
        RT.block_on(async {
            let server = MockServer::builder(fixtures.clone())
                .random_chunks(seed, max)
                .start()
                .await
                .unwrap();
            let recorder = Recorder::new();
            let client = client(
                MistralTracing::builder()
                    .host("127.0.0.1")
                    .tracer_provider(&recorder.provider)
                    .meter_provider(&recorder.meter_provider)
                    .capture_content(capture)
                    .max_event_bytes(max_event_bytes)
                    .build(),
            );
            let seen = send_case(&client, &fixtures, &server, "arbitrary").await;
            assert_eq!(seen.status, 200);
            assert_eq!(seen.body, body, "the caller got other bytes");
            let spans = recorder.assert_all_exported("arbitrary body");
            drop(seen);
            assert_children_inside_parents(&spans);
            let turn = the_turn(&spans);
            for span in &spans {
                assert_eq!(span.span_context.trace_id(), turn.span_context.trace_id());
            }
            if as_stream {
                let outcome = attr_str(turn, "mistral_ai.stream.outcome");
                assert!(
                    matches!(outcome.as_deref(), Some("completed" | "error" | "truncated")),
                    "outcome {outcome:?}"
                );
            }
        });
    }
}

#[tokio::test]
async fn a_64_mib_event_without_line_break_passes_through_and_marks_overflow() {
    let mut body = Vec::with_capacity(GIANT);
    body.extend_from_slice(b"data: ");
    body.resize(GIANT, b'x');
    let body = Bytes::from(body);
    let fixtures = synthetic_start("giant_event", true, "text/event-stream", body.clone());
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(64 * 1024)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let started = Instant::now();
    let mut response = case_request(&client, &fixtures, &server, "giant_event")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(read_and_compare(&mut response, &body).await, GIANT);
    eprintln!("64 MiB event streamed in {:?}", started.elapsed());
    let spans = recorder.assert_all_exported("giant event");
    drop(response);
    let turn = the_turn(&spans);
    assert_eq!(
        attr(turn, "mistral_ai.stream.overflow"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        attr_str(turn, "mistral_ai.stream.outcome").as_deref(),
        Some("truncated"),
        "no terminal event was seen"
    );
    assert_eq!(spans.len(), 1, "nothing was decoded, so no child");
}

#[tokio::test]
async fn a_64_mib_json_response_passes_through_and_marks_the_body_over_cap() {
    let head = br#"{"object":"conversation.response","conversation_id":"conv_giant","outputs":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"padding":""#;
    let mut body = Vec::with_capacity(GIANT);
    body.extend_from_slice(head);
    body.resize(GIANT - 2, b'x');
    body.extend_from_slice(b"\"}");
    let body = Bytes::from(body);
    let fixtures = synthetic_start("giant_json", false, "application/json", body.clone());
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(64 * 1024)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let started = Instant::now();
    let mut response = case_request(&client, &fixtures, &server, "giant_json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(read_and_compare(&mut response, &body).await, GIANT);
    eprintln!("64 MiB JSON body streamed in {:?}", started.elapsed());
    let spans = recorder.assert_all_exported("giant JSON");
    drop(response);
    let turn = the_turn(&spans);
    assert_eq!(
        attr(turn, "mistral_ai.response.body_over_cap"),
        Some(&Value::Bool(true))
    );
    assert_eq!(spans.len(), 1, "no output mapping past the cap");
}

#[tokio::test]
async fn a_multi_mib_multipart_upload_passes_through_unread() {
    const FILE: usize = 6 * 1024 * 1024;
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let case = fixtures.case("library_document_upload").unwrap();
    let content: Vec<u8> = (0..FILE).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(content)
            .file_name("handbook.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let response = case_request(&client, &fixtures, &server, &case.name)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let seen = read_holding(response).await;
    assert_eq!(seen.status, 201);
    assert_eq!(Some(seen.body.clone()), fixtures.response_body(case));

    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    let sent: usize = recorded[0]
        .header("content-length")
        .expect("a multipart form of known parts has a length")
        .parse()
        .unwrap();
    assert!(sent > FILE, "the form holds the file: {sent} bytes");
    assert_eq!(recorded[0].body_len, sent, "the server got the whole body");
    assert!(
        recorded[0]
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );

    let spans = recorder.assert_all_exported("upload");
    drop(seen);
    let span = one(&spans, "POST /v1/libraries/{library_id}/documents");
    assert_eq!(attr_i64(span, "http.response.status_code"), Some(201));
    assert_eq!(spans.len(), 1);
}
