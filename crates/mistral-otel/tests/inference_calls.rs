//! Embeddings, OCR and transcription: uploads are never read, over-cap bodies are not
//! parsed, a transcription (plain or streamed) is named after the model that answered, and
//! an agents completion is named after its agent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::{CASE_HEADER, MockServer};
use mistral_otel::options::AgentName;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::trace::Status;

/// A multipart audio upload of `size` bytes, streamed (as reqwest sends any form).
fn audio_form(size: usize, stream: bool) -> reqwest::multipart::Form {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = (0..size / 65536)
        .map(|i| Ok(bytes::Bytes::from(vec![(i % 251) as u8; 65536])))
        .collect();
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
        size as u64,
    )
    .file_name("meeting.mp3")
    .mime_str("audio/mpeg")
    .unwrap();
    reqwest::multipart::Form::new()
        .text("model", "voxtral-mini-latest")
        .text("stream", stream.to_string())
        .part("file", part)
}

#[tokio::test]
async fn a_transcription_upload_passes_unread_and_the_span_takes_the_answering_model() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    for (case, stream) in [("transcription", false), ("transcription_stream", true)] {
        let recorder = Recorder::new();
        let client = traced_client(&recorder, &server, true);
        let size = 4 * 1024 * 1024;
        let response = client
            .post(format!("{}/v1/audio/transcriptions", server.base_url()))
            .bearer_auth(TEST_KEY)
            .header(CASE_HEADER, case)
            .multipart(audio_form(size, stream))
            .send()
            .await
            .unwrap();
        let held = read_holding(response).await;
        assert_eq!(
            held.body,
            fixtures
                .response_body(fixtures.case(case).unwrap())
                .unwrap()
        );
        let spans = recorder.assert_all_exported(case);
        drop(held);
        let received = server.requests().last().unwrap().body_len;
        assert!(received > size, "{case}: the whole upload arrived");
        let span = client_span(&spans);
        // the form is not read: the model comes from the answer
        assert_eq!(span.name, "transcription voxtral-mini-2507", "{case}");
        assert_eq!(attr(span, "gen_ai.request.model"), None, "{case}");
        assert_eq!(
            attr_str(span, "gen_ai.response.model").as_deref(),
            Some("voxtral-mini-2507")
        );
        assert_eq!(attr_i64(span, "gen_ai.usage.input_tokens"), Some(4));
        assert_eq!(attr_i64(span, "gen_ai.usage.output_tokens"), Some(11));
        assert_eq!(
            attr(span, "mistral_ai.usage.prompt_audio_seconds").map(|v| v.to_string()),
            Some("4".to_owned())
        );
        assert_eq!(
            attr_str(span, "mistral_ai.transcription.language").as_deref(),
            Some("en")
        );
        let output = attr_str(span, "gen_ai.output.messages").unwrap();
        assert!(
            output.contains("I traveled to Chicago."),
            "{case}: {output}"
        );
        if stream {
            assert!(attr(span, "gen_ai.response.time_to_first_chunk").is_some());
            assert_eq!(
                attr_str(span, "mistral_ai.stream.outcome").as_deref(),
                Some("completed")
            );
        }
        // not a byte of the audio anywhere
        let text = exported_text(&spans);
        assert!(!text.contains("meeting.mp3"), "{case}");
    }
}

#[tokio::test]
async fn an_ocr_document_over_the_body_cap_is_not_parsed_but_its_model_is_known() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(
        builder(&recorder, &server)
            .capture_content(true)
            .max_body_bytes(1024 * 1024)
            .build(),
    );
    // 3 MiB of base64 PDF inline, past a 1 MiB cap; the SDKs write `model` first, but a
    // body may put it after the document (then it is beyond the cap: the span takes the
    // model that answers)
    let document = format!(
        r#"{{"type":"document_url","document_url":"data:application/pdf;base64,{}"}}"#,
        "JVBERi0xLjcKJcfs".repeat(3 * 1024 * 1024 / 16)
    );
    for (body, name) in [
        (
            format!(r#"{{"model":"mistral-ocr-latest","document":{document}}}"#),
            "ocr mistral-ocr-latest",
        ),
        (
            format!(r#"{{"document":{document},"model":"mistral-ocr-latest"}}"#),
            "ocr mistral-ocr-2512",
        ),
    ] {
        recorder.reset();
        let response = client
            .post(format!("{}/v1/ocr", server.base_url()))
            .bearer_auth(TEST_KEY)
            .header(CASE_HEADER, "ocr")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let held = read_holding(response).await;
        let spans = recorder.assert_all_exported("ocr");
        drop(held);
        assert_eq!(server.requests().last().unwrap().body_len, body.len());
        let span = client_span(&spans);
        assert_eq!(span.name, name);
        assert_eq!(
            attr(span, "mistral_ai.request.body_over_cap").map(|v| v.to_string()),
            Some("true".to_owned())
        );
        assert_eq!(attr_i64(span, "mistral_ai.ocr.pages_processed"), Some(2));
        assert_eq!(
            attr_i64(span, "mistral_ai.ocr.doc_size_bytes"),
            Some(3_002_783)
        );
        assert!(!exported_text(&spans).contains("JVBERi0xLjcK"));
    }
}

#[tokio::test]
async fn an_inline_ocr_document_never_reaches_a_span_even_with_capture() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let body = serde_json::json!({
        "model": "mistral-ocr-latest",
        "document": {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"},
    })
    .to_string();
    let response = client
        .post(format!("{}/v1/ocr", server.base_url()))
        .bearer_auth(TEST_KEY)
        .header(CASE_HEADER, "ocr")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    drop(read_holding(response).await);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert_eq!(span.name, "ocr mistral-ocr-latest");
    assert_eq!(
        attr_str(span, "mistral_ai.ocr.document_type").as_deref(),
        Some("image_url")
    );
    assert!(!exported_text(&spans).contains("iVBORw0KGgo"));
    // the pages' text is content, and capture is on
    assert!(
        attr_str(span, "gen_ai.output.messages")
            .unwrap()
            .contains("LEVERAGING UNLABELED DATA")
    );
}

#[tokio::test]
async fn embeddings_say_the_dimension_asked_for_or_else_the_one_answered() {
    let fixtures = fixtures("real/ruby_llm");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    for case in fixtures
        .cases()
        .iter()
        .filter(|c| c.path == "/v1/embeddings")
    {
        recorder.reset();
        let request: serde_json::Value =
            serde_json::from_slice(&fixtures.request_body(case).unwrap()).unwrap();
        let response: serde_json::Value =
            serde_json::from_slice(&fixtures.response_body(case).unwrap()).unwrap();
        drop(send_case(&client, &fixtures, &server, &case.name).await);
        let spans = recorder.spans();
        let span = client_span(&spans);
        let expected = request["output_dimension"].as_i64().or_else(|| {
            response["data"][0]["embedding"]
                .as_array()
                .map(|v| v.len() as i64)
        });
        assert_eq!(
            attr_i64(span, "gen_ai.embeddings.dimension.count"),
            expected,
            "{}",
            case.name
        );
        let inputs = match &request["input"] {
            serde_json::Value::Array(items) => items.len() as i64,
            _ => 1,
        };
        assert_eq!(
            attr_i64(span, "mistral_ai.embeddings.input_count"),
            Some(inputs)
        );
        // inputs are content
        assert_eq!(attr(span, "mistral_ai.request.input"), None);
        assert_eq!(attr(span, "gen_ai.usage.output_tokens"), None);
    }
}

#[tokio::test]
async fn an_agents_completion_is_named_after_its_agent() {
    let fixtures = fixtures("real/braintrust-sdk-javascript");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let case = "v1-latest__10_post_v1_agents_completions";
    // named by the application
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let response = case_request(&client, &fixtures, &server, case)
        .with_extension(AgentName::new("support-bot"))
        .send()
        .await
        .unwrap();
    drop(read_holding(response).await);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert_eq!(span.name, "invoke_agent support-bot");
    assert_eq!(
        attr_str(span, "gen_ai.agent.name").as_deref(),
        Some("support-bot")
    );
    assert_eq!(span.status, Status::Unset);
    // unknown agent: no name
    recorder.reset();
    let fresh = traced_client(&recorder, &server, false);
    drop(send_case(&fresh, &fixtures, &server, case).await);
    assert_eq!(client_span(&recorder.spans()).name, "invoke_agent");
    // the name its creation answered
    recorder.reset();
    drop(send_case(&fresh, &fixtures, &server, "v1-latest__00_post_v1_agents").await);
    drop(send_case(&fresh, &fixtures, &server, case).await);
    let spans = recorder.spans();
    let names = names(&spans);
    assert!(
        names.contains(&"invoke_agent braintrust-e2e-mrud2tic".to_owned()),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_multipart_file_upload_is_not_read() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                b"{\"messages\":[{\"role\":\"user\",\"content\":\"secret training row\"}]}\n"
                    .to_vec(),
            )
            .file_name("train.jsonl"),
        );
    let response = client
        .post(format!("{}/v1/files", server.base_url()))
        .bearer_auth(TEST_KEY)
        .header(CASE_HEADER, "file_upload")
        .multipart(form)
        .send()
        .await
        .unwrap();
    drop(read_holding(response).await);
    let spans = recorder.spans();
    let span = one(&spans, "POST /v1/files");
    assert_eq!(
        attr_str(span, "mistral_ai.file.id").as_deref(),
        Some("7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f")
    );
    assert!(!exported_text(&spans).contains("secret training row"));
}

#[tokio::test]
async fn every_genai_operation_records_duration_and_token_usage_under_its_own_name() {
    use mistral_otel_test_support::metrics::points;
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    for case in ["chat_n2", "chat_moderation", "ocr", "transcription"] {
        drop(send_case(&client, &fixtures, &server, case).await);
    }
    let real = mistral_otel_test_support::mock::fixtures("real/ruby_llm");
    let real_server = MockServer::builder(real.clone()).start().await.unwrap();
    let real_client = traced_client(&recorder, &real_server, false);
    let embeddings = real
        .cases()
        .iter()
        .find(|c| c.path == "/v1/embeddings")
        .unwrap();
    drop(send_case(&real_client, &real, &real_server, &embeddings.name).await);
    let metrics = recorder.metrics();
    let durations = points(&metrics, "gen_ai.client.operation.duration");
    let mut operations: Vec<String> = durations
        .iter()
        .filter_map(|p| p.get("gen_ai.operation.name"))
        .collect();
    operations.sort();
    assert_eq!(
        operations,
        ["chat", "embeddings", "moderation", "ocr", "transcription"]
    );
    let tokens = points(&metrics, "gen_ai.client.token.usage");
    let of = |op: &str, kind: &str| {
        tokens
            .iter()
            .find(|p| {
                p.get("gen_ai.operation.name").as_deref() == Some(op)
                    && p.get("gen_ai.token.type").as_deref() == Some(kind)
            })
            .map(|p| p.sum)
    };
    assert_eq!(of("chat", "input"), Some(14.0));
    assert_eq!(of("chat", "output"), Some(8.0));
    assert_eq!(of("transcription", "output"), Some(11.0));
    assert!(of("embeddings", "input").is_some());
    // embeddings and moderations answer no output tokens
    assert_eq!(of("embeddings", "output"), None);
    assert_eq!(of("moderation", "output"), None);
    // OCR answers pages, not tokens
    assert_eq!(of("ocr", "input"), None);
}

#[tokio::test]
async fn an_over_cap_turn_or_completion_request_keeps_its_leading_model_and_no_content() {
    for (set, case, path) in [
        ("mistral", "start_web_search", "/v1/conversations"),
        ("api", "chat_n2", "/v1/chat/completions"),
    ] {
        let fixtures = fixtures(set);
        let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
        let recorder = Recorder::new();
        let client = client(
            builder(&recorder, &server)
                .capture_content(true)
                .max_body_bytes(64 * 1024)
                .build(),
        );
        let filler = "too long to read ".repeat(8 * 1024);
        let body = if path == "/v1/conversations" {
            format!(r#"{{"model":"mistral-medium-latest","inputs":"{filler}","stream":false}}"#)
        } else {
            format!(
                r#"{{"model":"mistral-medium-latest","messages":[{{"role":"user","content":"{filler}"}}]}}"#
            )
        };
        let response = client
            .post(format!("{}{path}", server.base_url()))
            .bearer_auth(TEST_KEY)
            .header(CASE_HEADER, case)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        drop(read_holding(response).await);
        let spans = recorder.spans();
        let span = client_span(&spans);
        assert_eq!(
            attr_str(span, "gen_ai.request.model").as_deref(),
            Some("mistral-medium-latest"),
            "{case}"
        );
        assert_eq!(
            attr(span, "mistral_ai.request.body_over_cap").map(|v| v.to_string()),
            Some("true".to_owned())
        );
        assert!(
            !exported_text(&spans).contains("too long to read"),
            "{case}"
        );
    }
}
