//! Quickstart: trace Mistral calls (Conversations turns, a streamed chat completion that
//! asks for a tool, an embeddings call, reads) and print the span tree.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no configuration it starts an embedded mock of Mistral's API (recorded
//! fixtures, no key needed). With `MISTRAL_API_KEY` set it calls https://api.mistral.ai
//! instead (build with `--features tls`). With `OTEL_EXPORTER_OTLP_ENDPOINT` set it also
//! exports every span over OTLP (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc|http/protobuf`).

use std::error::Error;

use futures_util::StreamExt;
use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use serde_json::{Value, json};

const STREAMED_TOOL_CALL: &str = "chat_function_calling_mistral_mistral-small-latest_can_use_tools_with_multi-turn_streaming_conversations__0";
const EMBEDDINGS: &str =
    "embedding_basic_functionality_mistral_mistral-embed_can_handle_multiple_texts";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let memory = InMemorySpanExporter::default();
    let exporting = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some();
    let telemetry = if exporting {
        let mem = memory.clone();
        Some(
            mistral_otel_export::OtlpConfig::from_env()
                .service_name("mistral-otel-quickstart")
                .metrics(false)
                .build_with(move |b| b.with_simple_exporter(mem))?,
        )
    } else {
        None
    };
    let provider = match &telemetry {
        Some(t) => t.tracer_provider().clone(),
        None => SdkTracerProvider::builder()
            .with_simple_exporter(memory.clone())
            .build(),
    };

    // Mistral for real, or the embedded mock.
    let (base, key, _mock) = match std::env::var("MISTRAL_API_KEY") {
        Ok(key) if !key.is_empty() => {
            if !cfg!(feature = "tls") {
                return Err("MISTRAL_API_KEY is set: run with `--features tls` to reach https://api.mistral.ai".into());
            }
            ("https://api.mistral.ai".to_owned(), key, None)
        }
        _ => {
            let mut fixtures = Fixtures::load(mistral_otel_test_support::fixtures_dir("mistral"))?;
            // and two exchanges recorded from the live API: a streamed chat completion that
            // calls a tool, and an embeddings call
            let recorded =
                Fixtures::load(mistral_otel_test_support::fixtures_dir("real/ruby_llm"))?;
            for name in [STREAMED_TOOL_CALL, EMBEDDINGS] {
                let case = recorded.case(name).ok_or("missing recorded case")?;
                fixtures.push_case(
                    case.clone(),
                    recorded.request_body(case),
                    recorded.response_body(case),
                );
            }
            // pieces with small gaps, as a network delivers them: real TTFT and tool timings
            let server = MockServer::builder(fixtures)
                .chunk_bytes(1024)
                .chunk_delay(std::time::Duration::from_millis(1))
                .start()
                .await?;
            println!(
                "embedded mock Mistral on {} (set MISTRAL_API_KEY to call the real API)\n",
                server.base_url()
            );
            (
                server.base_url(),
                "sk-quickstart-mock".to_owned(),
                Some(server),
            )
        }
    };

    // The one line a user adds: the middleware. Mistral's hosts are traced by default; the
    // embedded mock stands in for them, so it is named as a Mistral base URL.
    let tracing = MistralTracing::builder()
        .tracer_provider(&provider)
        .base_url(base.parse()?)
        .build();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(tracing)
        .build();

    let tracer = provider.tracer("quickstart");
    let root = tracer.start("quickstart");
    let cx = Context::current_with_span(root);
    async {
        let post = |path: String, body: Value| {
            client
                .post(format!("{base}{path}"))
                .bearer_auth(&key)
                .header("accept", "application/json")
                .json(&body)
        };
        // 1. start, with the web_search tool
        let start: Value = post(
            "/v1/conversations".into(),
            json!({
                "inputs": "What is the estimated population of Lyon today, and how has it changed over the last ten years?",
                "stream": false, "store": true,
                "instructions": "You are a concise research assistant. Cite your sources.",
                "tools": [{"type": "web_search"}],
                "completion_args": {"temperature": 0.3, "top_p": 0.95, "max_tokens": 1024},
                "name": "lyon-population",
                "metadata": {"team": "research", "ticket": "RES-1042"},
                "model": "mistral-medium-latest"
            }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
        let conv = start["conversation_id"].as_str().unwrap_or_default().to_owned();
        let message_id = start["outputs"]
            .as_array()
            .and_then(|o| o.iter().find(|e| e["type"] == "message.output"))
            .and_then(|e| e["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        // 2. append
        post(
            format!("/v1/conversations/{conv}"),
            json!({"inputs": "Et en français, en une phrase ?", "stream": false, "store": true, "handoff_execution": "server"}),
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
        // 3. restart from the first answer
        post(
            format!("/v1/conversations/{conv}/restart"),
            json!({"from_entry_id": message_id, "inputs": "Only the metropolitan area, please.",
                   "stream": false, "store": true, "handoff_execution": "server",
                   "metadata": {"team": "research", "ticket": "RES-1042", "retry": "1"}}),
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
        // 4. a streaming turn with a tool: the tree is built while the bytes pass
        let mut stream = client
            .post(format!("{base}/v1/conversations"))
            .bearer_auth(&key)
            .header("accept", "text/event-stream")
            .json(&json!({
                "inputs": [{"type": "message.input", "role": "user", "content": "What time does the sun set in Reykjavik on June 21, and when does it rise again?"}],
                "stream": true,
                "tools": [{"type": "web_search"}],
                "model": "mistral-medium-latest"
            }))
            .send()
            .await?
            .error_for_status()?
            .bytes_stream();
        let mut bytes = 0usize;
        while let Some(chunk) = stream.next().await {
            bytes += chunk?.len();
        }
        println!("streamed {bytes} bytes of SSE\n");
        // 5. a streamed chat completion that asks for a function
        let mut stream = client
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth(&key)
            .header("accept", "text/event-stream")
            .json(&json!({
                "model": "mistral-small-latest",
                "messages": [{"role": "user", "content": "What's the weather in Berlin? (52.5200, 13.4050)"}],
                "stream": true,
                "tools": [{"type": "function", "function": {
                    "name": "weather", "description": "Gets current weather for a location",
                    "parameters": {"type": "object", "properties": {
                        "latitude": {"type": "string"}, "longitude": {"type": "string"}},
                        "required": ["latitude", "longitude"]}}}]
            }))
            .send()
            .await?
            .error_for_status()?
            .bytes_stream();
        while let Some(chunk) = stream.next().await {
            chunk?;
        }
        // 6. embeddings
        post(
            "/v1/embeddings".into(),
            json!({"model": "mistral-embed", "input": ["Ruby is a programmer's best friend", "Rails makes web development easy"]}),
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
        // 7. read calls: list and history
        client
            .get(format!("{base}/v1/conversations?page=0&page_size=20"))
            .bearer_auth(&key)
            .send()
            .await?
            .bytes()
            .await?;
        client
            .get(format!("{base}/v1/conversations/{conv}/history"))
            .bearer_auth(&key)
            .send()
            .await?
            .bytes()
            .await?;
        Ok::<(), Box<dyn Error>>(())
    }
    .with_context(cx.clone())
    .await?;
    cx.span().end();

    let spans = memory.get_finished_spans()?;
    println!("{}", mistral_otel_export::console::render_tree(&spans));
    if let Some(t) = telemetry {
        t.force_flush()?;
        t.shutdown()?;
        println!("exported {} spans over OTLP", spans.len());
    }
    Ok(())
}
