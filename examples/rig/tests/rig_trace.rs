//! rig-core's Mistral provider, pointed at the embedded mock through a traced
//! `reqwest_middleware` client, produces the contract's trace: a `chat {model}` CLIENT span
//! for a chat completion and for a streamed one (time to first chunk, outcome `completed`),
//! an `embeddings {model}` span, with the recorded usage and response ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::StreamExt;
use mistral_otel::MistralTracing;
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use rig_core::providers::mistral::{MISTRAL_EMBED, MISTRAL_SMALL};
use rig_core::streaming::{Item, StreamEvent};

fn attr(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

fn text(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

#[tokio::test]
async fn rigs_mistral_calls_are_traced_as_the_contract_says() {
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    let server = mistral_otel_rig_example::mock().await.unwrap();
    let base = server.base_url();
    let tracing = MistralTracing::builder()
        .tracer_provider(&provider)
        .base_url(base.parse().unwrap())
        .build();
    let client = mistral_otel_rig_example::rig_client(tracing, &base, "sk-rig-test");
    let chat = client.chat(MISTRAL_SMALL);

    // a chat completion
    let answer = chat
        .call("Reply with exactly: observability")
        .await
        .unwrap();
    assert_eq!(answer.text(), "observability");
    let spans = memory.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1, "one span per call");
    let span = &spans[0];
    assert_eq!(span.name, "chat mistral-small-latest");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(text(span, "gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(
        text(span, "gen_ai.provider.name").as_deref(),
        Some("mistral_ai")
    );
    // conditionally required "if and only if the request is streaming": unset here
    assert_eq!(attr(span, "gen_ai.request.stream"), None);
    assert_eq!(
        text(span, "gen_ai.response.model").as_deref(),
        Some("mistral-small-2506")
    );
    assert!(text(span, "gen_ai.response.id").is_some());
    assert_eq!(
        attr(span, "gen_ai.usage.input_tokens"),
        Some(Value::I64(21))
    );
    assert_eq!(
        attr(span, "gen_ai.usage.output_tokens"),
        Some(Value::I64(3))
    );
    assert_eq!(
        attr(span, "gen_ai.response.finish_reasons").map(|v| v.to_string()),
        Some("[\"stop\"]".to_owned())
    );

    // a streamed chat completion
    memory.reset();
    let mut stream = chat.stream("Say something").unwrap();
    let mut streamed = String::new();
    while let Some(item) = stream.next().await {
        if let Item::Event(StreamEvent::Text { text, .. }) = item.unwrap() {
            streamed.push_str(&text);
        }
    }
    assert_eq!(streamed, "streamed output");
    drop(stream);
    let spans = memory.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name, "chat mistral-small-latest");
    assert_eq!(attr(span, "gen_ai.request.stream"), Some(Value::Bool(true)));
    assert_eq!(
        text(span, "mistral_ai.stream.outcome").as_deref(),
        Some("completed")
    );
    assert!(matches!(
        attr(span, "gen_ai.response.time_to_first_chunk"),
        Some(Value::F64(s)) if s > 0.0
    ));
    assert_eq!(
        attr(span, "gen_ai.usage.output_tokens"),
        Some(Value::I64(4))
    );

    // embeddings
    memory.reset();
    let embedding = client
        .embedding(MISTRAL_EMBED, None)
        .embed_text("braintrust mistral instrumentation")
        .await
        .unwrap();
    assert_eq!(embedding.vec.len(), 1024);
    let spans = memory.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name, "embeddings mistral-embed");
    assert_eq!(
        attr(span, "mistral_ai.embeddings.input_count"),
        Some(Value::I64(1))
    );
    assert_eq!(
        attr(span, "gen_ai.embeddings.dimension.count"),
        Some(Value::I64(1024))
    );

    // what rig sent reached the server as rig sent it
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-rig-test"))
    );
}
