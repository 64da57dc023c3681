//! Send Mistral turns to Jaeger (or any local OTLP collector) during development.
//!
//! ```text
//! docker run --rm -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/jaeger:latest
//! cargo run --example jaeger
//! # then open http://localhost:16686 and pick the service "mistral-otel-jaeger-demo"
//! ```
//!
//! The preset exports OTLP/gRPC to `http://localhost:4317` (or
//! `OTEL_EXPORTER_OTLP_ENDPOINT`) with a short batch delay. Mistral is the embedded mock
//! unless `MISTRAL_API_KEY` is set (then build with `--features tls`).

use std::error::Error;
use std::time::Duration;

use futures_util::StreamExt;
use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let telemetry = mistral_otel_export::jaeger::config()
        .service_name("mistral-otel-jaeger-demo")
        .install()?;

    let (base, key, _mock) = match std::env::var("MISTRAL_API_KEY") {
        Ok(key) if !key.is_empty() => ("https://api.mistral.ai".to_owned(), key, None),
        _ => {
            let server = MockServer::builder(Fixtures::load(
                mistral_otel_test_support::fixtures_dir("mistral"),
            )?)
            .chunk_bytes(512)
            .chunk_delay(Duration::from_millis(2))
            .start()
            .await?;
            (server.base_url(), "sk-demo".to_owned(), Some(server))
        }
    };
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        // the embedded mock stands in for https://api.mistral.ai (traced by default)
        .with(MistralTracing::builder().base_url(base.parse()?).build())
        .build();
    for body in [
        json!({"inputs": "What is the estimated population of Lyon today, and how has it changed over the last ten years?",
               "stream": false, "tools": [{"type": "web_search"}], "name": "lyon-population", "model": "mistral-medium-latest"}),
        json!({"inputs": [{"type": "message.input", "role": "user", "content": "When does the sun set in Reykjavik on June 21?"}],
               "stream": true, "tools": [{"type": "web_search"}], "model": "mistral-medium-latest"}),
    ] {
        let mut bytes = client
            .post(format!("{base}/v1/conversations"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await?
            .bytes_stream();
        while let Some(chunk) = bytes.next().await {
            chunk?;
        }
    }
    match telemetry.force_flush() {
        Ok(()) => println!(
            "exported; open http://localhost:16686 and search service mistral-otel-jaeger-demo"
        ),
        Err(e) => println!(
            "no collector answered ({e}).\nStart one with:\n  docker run --rm -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/jaeger:latest"
        ),
    }
    let _ = telemetry.shutdown();
    Ok(())
}
