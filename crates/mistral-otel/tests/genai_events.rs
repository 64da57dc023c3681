//! The `gen_ai.client.inference.operation.details` event: a log record per turn and
//! completion, in the call span's trace context, carrying the call's attributes and, in the
//! events capture modes, its content in structured form (after the redactor); content
//! goes on spans only in the span modes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::MockServer;
use mistral_otel::capture::{ContentCapture, ContentField};
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use mistral_otel_test_support::{Recorder, attr, client_span};
use opentelemetry::Key;
use opentelemetry::logs::{AnyValue, Severity};
use opentelemetry_sdk::logs::SdkLogRecord;

const EVENT: &str = "gen_ai.client.inference.operation.details";

fn get<'a>(record: &'a SdkLogRecord, key: &str) -> Option<&'a AnyValue> {
    record
        .attributes_iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v)
}

fn text(value: Option<&AnyValue>) -> Option<String> {
    match value {
        Some(AnyValue::String(s)) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

async fn run(
    set: &str,
    case: &str,
    mode: ContentCapture,
    emit: Option<bool>,
) -> (Vec<opentelemetry_sdk::trace::SpanData>, Vec<SdkLogRecord>) {
    let fixtures = fixtures(set);
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let mut b = builder(&recorder, &server).content_capture(mode).redactor(
        |field: ContentField, value: &mut serde_json::Value| {
            if field == ContentField::SystemInstructions {
                *value = serde_json::json!([{"type": "text", "content": "<redacted>"}]);
            }
        },
    );
    if let Some(on) = emit {
        b = b.emit_events(on);
    }
    let client = client(b.build());
    drop(send_case(&client, &fixtures, &server, case).await);
    (recorder.spans(), recorder.logs())
}

#[tokio::test]
async fn event_only_puts_structured_content_in_the_event_and_none_on_spans() {
    let (spans, logs) = run(
        "mistral",
        "start_web_search",
        ContentCapture::EventOnly,
        None,
    )
    .await;
    let call = client_span(&spans);
    for span in &spans {
        for key in [
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
        ] {
            assert!(attr(span, key).is_none(), "{}: {key} on a span", span.name);
        }
    }
    assert_eq!(logs.len(), 1);
    let record = &logs[0];
    assert_eq!(record.event_name(), Some(EVENT));
    assert_eq!(record.severity_number(), Some(Severity::Debug));
    let context = record.trace_context().unwrap();
    assert_eq!(context.trace_id, call.span_context.trace_id());
    assert_eq!(context.span_id, call.span_context.span_id());
    assert_eq!(
        text(get(record, "gen_ai.operation.name")).as_deref(),
        Some("invoke_agent")
    );
    assert_eq!(
        text(get(record, "gen_ai.request.model")).as_deref(),
        Some("mistral-medium-latest")
    );
    assert!(matches!(
        get(record, "gen_ai.usage.input_tokens"),
        Some(AnyValue::Int(_))
    ));
    // structured: a list of message maps, not JSON text
    let Some(AnyValue::ListAny(input)) = get(record, "gen_ai.input.messages") else {
        panic!(
            "input messages not a list: {:?}",
            get(record, "gen_ai.input.messages")
        );
    };
    let Some(AnyValue::Map(first)) = input.first() else {
        panic!("not a message map");
    };
    assert!(
        matches!(first.get(&Key::from("role")), Some(AnyValue::String(r)) if r.as_str() == "user")
    );
    assert!(matches!(
        get(record, "gen_ai.output.messages"),
        Some(AnyValue::ListAny(_))
    ));
    // the redactor ran before the event got the value
    let Some(AnyValue::ListAny(system)) = get(record, "gen_ai.system_instructions") else {
        panic!("no system instructions");
    };
    let Some(AnyValue::Map(part)) = system.first() else {
        panic!("not a part");
    };
    assert!(
        matches!(part.get(&Key::from("content")), Some(AnyValue::String(c)) if c.as_str() == "<redacted>")
    );
}

#[tokio::test]
async fn span_and_event_puts_content_in_both_and_completions_have_events_too() {
    let (spans, logs) = run(
        "real/braintrust-sdk-javascript",
        "v1-latest__02_post_v1_chat_completions_stream",
        ContentCapture::SpanAndEvent,
        None,
    )
    .await;
    let call = client_span(&spans);
    assert!(attr(call, "gen_ai.output.messages").is_some());
    assert_eq!(logs.len(), 1);
    let record = &logs[0];
    assert_eq!(
        text(get(record, "gen_ai.operation.name")).as_deref(),
        Some("chat")
    );
    assert!(text(get(record, "gen_ai.response.id")).is_some());
    assert!(matches!(
        get(record, "gen_ai.output.messages"),
        Some(AnyValue::ListAny(_))
    ));
    assert!(matches!(
        get(record, "gen_ai.input.messages"),
        Some(AnyValue::ListAny(_))
    ));
}

#[tokio::test]
async fn without_content_the_event_carries_attributes_only_and_only_when_asked() {
    // span-only content: no event unless asked for
    let (_, logs) = run(
        "mistral",
        "start_web_search",
        ContentCapture::SpanOnly,
        None,
    )
    .await;
    assert!(logs.is_empty());
    let (_, logs) = run(
        "mistral",
        "start_web_search",
        ContentCapture::NoContent,
        Some(true),
    )
    .await;
    assert_eq!(logs.len(), 1);
    let record = &logs[0];
    assert!(get(record, "gen_ai.operation.name").is_some());
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert!(get(record, key).is_none(), "{key} without capture");
    }
    // events on, but not for embeddings (no inference details)
    let (_, logs) = run(
        "real/braintrust-sdk-javascript",
        "v1-latest__13_post_v1_embeddings",
        ContentCapture::EventOnly,
        None,
    )
    .await;
    assert!(logs.is_empty());
}

#[tokio::test]
async fn a_failed_turn_has_its_error_type_in_the_event() {
    let (_, logs) = run(
        "mistral",
        "error_429",
        ContentCapture::NoContent,
        Some(true),
    )
    .await;
    assert_eq!(logs.len(), 1);
    assert!(text(get(&logs[0], "error.type")).is_some());
}
