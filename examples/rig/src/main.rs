//! `cargo run --manifest-path examples/rig/Cargo.toml`: rig-core's Mistral provider, traced
//! by mistral-otel, against the embedded mock; prints the span tree.

use futures::StreamExt;
use mistral_otel::MistralTracing;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use rig_core::providers::mistral::{MISTRAL_EMBED, MISTRAL_SMALL};
use rig_core::streaming::{Item, StreamEvent};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    let server = mistral_otel_rig_example::mock().await?;
    let base = server.base_url();
    println!("embedded mock Mistral on {base}\n");
    let tracing = MistralTracing::builder()
        .tracer_provider(&provider)
        .base_url(base.parse()?)
        .build();
    let client = mistral_otel_rig_example::rig_client(tracing, &base, "sk-rig-mock");

    let chat = client.chat(MISTRAL_SMALL);
    let answer = chat.call("Reply with exactly: hello").await?;
    println!("chat: {:?}", answer.text());

    let mut stream = chat.stream("Count to three")?;
    let mut streamed = String::new();
    while let Some(item) = stream.next().await {
        if let Item::Event(StreamEvent::Text { text, .. }) = item? {
            streamed.push_str(&text);
        }
    }
    println!("streamed chat: {streamed:?}");

    let embedding = client
        .embedding(MISTRAL_EMBED, None)
        .embed_text("braintrust mistral instrumentation")
        .await?;
    println!("embedding: {} dimensions\n", embedding.vec.len());

    let spans = memory.get_finished_spans()?;
    println!("{}", mistral_otel_export::console::render_tree(&spans));
    Ok(())
}
