//! Plain (non-streaming) turns replayed through the middleware: focused properties (content
//! capture, redaction, caps, links, errors, options, nesting) and the caller's view
//! asserted identical to a bare client's. Whole trees are in `golden.rs`; the facts each
//! fixture states in `fixture_facts.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_otel::MistralTracing;
use mistral_otel::options::{AgentName, CaptureContent, DisableTracing, ExtraAttributes};
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};

#[tokio::test]
async fn content_capture_records_valid_message_json() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, true);
    send_case(&client, &fixtures, &server, "start_web_search").await;
    let spans = recorder.spans();
    let turn = one(&spans, "invoke_agent lyon-population");
    let input: serde_json::Value =
        serde_json::from_str(&attr_str(turn, "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(input[0]["role"], "user");
    assert!(
        input[0]["parts"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Lyon")
    );
    let system: serde_json::Value =
        serde_json::from_str(&attr_str(turn, "gen_ai.system_instructions").unwrap()).unwrap();
    assert_eq!(system[0]["type"], "text");
    let output: serde_json::Value =
        serde_json::from_str(&attr_str(turn, "gen_ai.output.messages").unwrap()).unwrap();
    let parts = output[0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "server_tool_call");
    assert_eq!(parts[0]["name"], "web_search");
    assert_eq!(parts[1]["type"], "server_tool_call_response");
    assert_eq!(parts[2]["type"], "text");
    assert_eq!(parts[3]["type"], "tool_reference");
    assert_eq!(output[0]["finish_reason"], "stop");
    let tool = one(&spans, "execute_tool web_search");
    let args: serde_json::Value =
        serde_json::from_str(&attr_str(tool, "gen_ai.tool.call.arguments").unwrap()).unwrap();
    assert_eq!(
        args["query"],
        "Lyon population estimate 2025 ten year change"
    );
    let chat = one(&spans, "chat mistral-medium-latest");
    assert!(
        attr_str(chat, "gen_ai.output.messages")
            .unwrap()
            .contains("Métropole")
    );
}

#[tokio::test]
async fn content_capture_follows_the_per_request_option() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    case_request(&client, &fixtures, &server, "start_web_search")
        .with_extension(CaptureContent(true))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let spans = recorder.spans();
    assert!(
        attr(
            one(&spans, "invoke_agent lyon-population"),
            "gen_ai.input.messages"
        )
        .is_some()
    );
}

#[tokio::test]
async fn oversized_content_is_truncated_to_valid_json_and_marked() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .capture_content(true)
            .max_attribute_bytes(120)
            .build(),
    );
    send_case(&client, &fixtures, &server, "start_web_search").await;
    let spans = recorder.spans();
    let turn = one(&spans, "invoke_agent lyon-population");
    assert_eq!(
        attr(turn, "mistral_ai.content.truncated"),
        Some(&opentelemetry::Value::Bool(true))
    );
    for span in &spans {
        for kv in &span.attributes {
            let key = kv.key.as_str();
            if key.ends_with("messages")
                || key.ends_with("instructions")
                || key.ends_with("call.arguments")
                || key.ends_with("call.result")
            {
                let text = kv.value.as_str();
                assert!(text.len() <= 120, "{key} is {} bytes", text.len());
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{key} is not JSON ({e}): {text}"));
            }
        }
    }
}

#[tokio::test]
async fn redactor_sees_content_before_any_attribute() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .capture_content(true)
            .redactor(
                |_field: mistral_otel::ContentField, value: &mut serde_json::Value| {
                    fn walk(v: &mut serde_json::Value) {
                        match v {
                            serde_json::Value::String(s) if s.contains("Lyon") => {
                                *s = "[redacted]".into()
                            }
                            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
                            serde_json::Value::Object(m) => m.values_mut().for_each(walk),
                            _ => {}
                        }
                    }
                    walk(value)
                },
            )
            .build(),
    );
    send_case(&client, &fixtures, &server, "start_web_search").await;
    let spans = recorder.spans();
    for span in &spans {
        for kv in &span.attributes {
            assert!(
                !kv.value.as_str().contains("Lyon"),
                "{} leaks via {}",
                span.name,
                kv.key
            );
        }
    }
    // what was redacted was exported, redacted, in place
    let turn = client_span(&spans);
    let input: serde_json::Value =
        serde_json::from_str(&attr_str(turn, "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(input[0]["parts"][0]["content"], "[redacted]");
    assert!(
        exported_text(&spans).contains("[redacted]"),
        "the redacted value is exported"
    );
}

#[tokio::test]
async fn append_and_restart_carry_conversation_ids_and_links() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    for case in ["start_web_search", "append", "restart"] {
        send_case(&client, &fixtures, &server, case).await;
    }
    let spans = recorder.spans();
    let turns: Vec<_> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(turns.len(), 3);
    let (start, append, restart) = (turns[0], turns[1], turns[2]);
    assert_eq!(
        attr_str(append, "mistral_ai.conversation.operation").as_deref(),
        Some("append")
    );
    assert_eq!(
        attr_str(append, "gen_ai.conversation.id").as_deref(),
        Some("conv_019cd7065406745882f38266558e95ad")
    );
    assert_eq!(
        attr_str(restart, "mistral_ai.conversation.operation").as_deref(),
        Some("restart")
    );
    let restart_conv = attr_str(restart, "gen_ai.conversation.id").unwrap();
    assert_ne!(
        restart_conv, "conv_019cd7065406745882f38266558e95ad",
        "restart gets a new id"
    );
    assert_eq!(
        attr_str(restart, "mistral_ai.conversation.from_entry_id").as_deref(),
        Some("msg_019cd7065b2e7c118c86ac0f047f5060")
    );
    // links: append -> start, restart -> append (the latest turn of the conversation)
    assert_eq!(append.links.links.len(), 1);
    assert_eq!(
        append.links.links[0].span_context.span_id(),
        start.span_context.span_id()
    );
    assert_eq!(restart.links.links.len(), 1);
    assert_eq!(
        restart.links.links[0].span_context.span_id(),
        append.span_context.span_id()
    );
    assert!(start.links.links.is_empty());
    assert_children_inside_parents(&spans);
}

#[tokio::test]
async fn http_errors_set_status_type_code_and_exception() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    let seen = send_case(&client, &fixtures, &server, "error_429").await;
    assert_eq!(seen.status, 429);
    let spans = recorder.spans();
    let turn = &spans[0];
    assert!(matches!(turn.status, Status::Error { .. }));
    assert_eq!(
        attr_str(turn, "error.type").as_deref(),
        Some("rate_limited")
    );
    assert_eq!(
        attr_str(turn, "mistral_ai.error.code").as_deref(),
        Some("1300")
    );
    assert_eq!(attr_i64(turn, "http.response.status_code"), Some(429));
    assert_eq!(
        attr_str(turn, "gen_ai.response.finish_reasons").as_deref(),
        Some(r#"["error"]"#)
    );
    let exception = turn
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("exception event");
    assert!(exception.attributes.iter().any(
        |kv| kv.key.as_str() == "exception.message" && kv.value.as_str().contains("Rate limit")
    ));
    assert_eq!(spans.len(), 1, "no children on an error");

    recorder.reset();
    send_case(&client, &fixtures, &server, "error_422").await;
    let spans = recorder.spans();
    assert_eq!(
        attr_str(&spans[0], "error.type").as_deref(),
        Some("invalid_request_error")
    );
    assert!(matches!(spans[0].status, Status::Error { .. }));
}

#[tokio::test]
async fn transport_errors_are_typed_and_returned_unchanged() {
    let recorder = Recorder::new();
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .build(),
    );
    // a port nothing listens on
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = client
        .post(format!("http://127.0.0.1:{port}/v1/conversations"))
        .body(r#"{"inputs":"hi","model":"mistral-small-latest","stream":false}"#)
        .send()
        .await
        .expect_err("nothing listens");
    assert!(err.is_connect());
    let spans = recorder.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        attr_str(&spans[0], "error.type").as_deref(),
        Some("connect")
    );
    assert!(matches!(spans[0].status, Status::Error { .. }));
}

#[tokio::test]
async fn caller_sees_exactly_what_a_bare_client_sees_for_every_fixture() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let bare = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).build();
    for capture in [false, true] {
        let traced = traced_client(&recorder, &server, capture);
        for case in fixtures.cases() {
            if case.request_body.is_none() && case.method == "POST" {
                continue; // multipart upload: covered by the upload test
            }
            let a = send_case(&bare, &fixtures, &server, &case.name).await;
            let b = send_case(&traced, &fixtures, &server, &case.name).await;
            assert_eq!(a.seen, b.seen, "case {}", case.name);
            assert_eq!(
                Some(b.body.clone()),
                fixtures.response_body(case).or(Some(bytes::Bytes::new()))
            );
            recorder.assert_all_exported(&case.name);
        }
    }
}

#[tokio::test]
async fn unknown_endpoints_of_a_mistral_host_pass_through_with_no_span() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let client = traced_client(&recorder, &server, false);
    let resp = client
        .post(format!("{}/v1/not-an-endpoint", server.base_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    resp.bytes().await.unwrap();
    assert!(recorder.spans().is_empty());
    assert_eq!(recorder.counter().started(), 0);
}

#[tokio::test]
async fn per_request_options_name_the_agent_add_attributes_or_disable_tracing() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    case_request(&client, &fixtures, &server, "append")
        .with_extension(AgentName::new("billing-agent"))
        .with_extension(ExtraAttributes::new([KeyValue::new("app.tenant", "acme")]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let spans = recorder.spans();
    let turn = one(&spans, "invoke_agent billing-agent");
    assert_eq!(attr_str(turn, "app.tenant").as_deref(), Some("acme"));
    recorder.reset();
    case_request(&client, &fixtures, &server, "append")
        .with_extension(DisableTracing)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(recorder.spans().is_empty());
}

#[tokio::test]
async fn turn_nests_under_the_current_context() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    let tracer = recorder.provider.tracer("app");
    let parent = tracer.start("handle_request");
    let cx = Context::current_with_span(parent);
    let parent_id = cx.span().span_context().span_id();
    async {
        send_case(&client, &fixtures, &server, "append").await;
    }
    .with_context(cx.clone())
    .await;
    cx.span().end();
    let spans = recorder.spans();
    let turn = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .unwrap();
    assert_eq!(turn.parent_span_id, parent_id);
    assert_children_inside_parents(&spans);
}

#[tokio::test]
async fn body_over_the_parse_cap_passes_through_and_marks_the_span() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .max_body_bytes(100)
            .build(),
    );
    let seen = send_case(&client, &fixtures, &server, "start_web_search").await;
    assert_eq!(
        Some(seen.body.clone()),
        fixtures.response_body(fixtures.case("start_web_search").unwrap())
    );
    let spans = recorder.assert_all_exported("over the cap");
    assert_eq!(spans.len(), 1, "no output mapping past the cap");
    assert_eq!(
        attr(&spans[0], "mistral_ai.response.body_over_cap"),
        Some(&opentelemetry::Value::Bool(true))
    );
}

#[tokio::test]
async fn dropping_an_unread_plain_body_ends_the_turn() {
    let recorder = Recorder::new();
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = traced_client(&recorder, &server, false);
    let resp = case_request(&client, &fixtures, &server, "start_web_search")
        .send()
        .await
        .unwrap();
    drop(resp);
    let spans = recorder.spans();
    assert_eq!(spans.len(), 1);
    // set only by the instrumentation's own end at drop
    assert_eq!(
        attr(&spans[0], "mistral_ai.response.incomplete"),
        Some(&opentelemetry::Value::Bool(true))
    );
}
