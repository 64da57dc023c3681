//! Send a streaming Mistral turn's full span tree to Braintrust.
//!
//! ```text
//! BRAINTRUST_API_KEY=sk-... BRAINTRUST_PARENT=project_name:my-project \
//!     cargo run --example braintrust
//! ```
//!
//! Two lines of setup: `BraintrustConfig::from_env().into_otlp()?.install()` exports over
//! OTLP/HTTP to `https://api.braintrust.dev/otel/v1/traces` (override with
//! `BRAINTRUST_API_URL`, e.g. the EU region or a self-hosted API) with
//! `Authorization: Bearer $BRAINTRUST_API_KEY` and `x-bt-parent: $BRAINTRUST_PARENT`; the
//! middleware's `Braintrust` decorator adds the `braintrust.*` attributes Braintrust renders
//! as task / llm / tool rows.
//!
//! Mistral is the embedded mock unless `MISTRAL_API_KEY` is set (then build with
//! `--features tls`). Without `BRAINTRUST_API_KEY`, an in-process OTLP receiver stands in
//! for Braintrust and the example prints what Braintrust would have received.

use std::error::Error;
use std::time::Duration;

use futures_util::StreamExt;
use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use mistral_otel::braintrust::Braintrust;
use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
use otlp_receiver::OtlpReceiver;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let stand_in = if std::env::var_os("BRAINTRUST_API_KEY").is_none() {
        let receiver = OtlpReceiver::start().await?;
        println!(
            "BRAINTRUST_API_KEY is not set: a local receiver on {} stands in for Braintrust\n",
            receiver.http_endpoint()
        );
        Some(receiver)
    } else {
        None
    };
    let config = match &stand_in {
        Some(r) => BraintrustConfig::new()
            .api_key("demo-key")
            .parent(Parent::ProjectName("mistral-otel-demo".into()))
            .base_url(r.http_endpoint()),
        None => BraintrustConfig::from_env(),
    };
    // Braintrust export
    let telemetry = config.into_otlp()?.install()?;

    let (base, key, _mock) = mistral().await?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(
            MistralTracing::builder()
                // braintrust.* attributes on every span; content capture on (Braintrust
                // users come for inputs and outputs) unless the application says otherwise
                .decorator(Braintrust::new())
                // the embedded mock stands in for https://api.mistral.ai (traced by default)
                .base_url(base.parse()?)
                .build(),
        )
        .build();
    let mut stream = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(&key)
        .header("accept", "text/event-stream")
        .json(&json!({
            "inputs": [{"type": "message.input", "role": "user", "object": "entry",
                        "content": "What time does the sun set in Reykjavik on June 21, and when does it rise again?"}],
            "stream": true, "store": true,
            "tools": [{"type": "web_search"}],
            "model": "mistral-medium-latest"
        }))
        .send()
        .await?
        .error_for_status()?
        .bytes_stream();
    while let Some(chunk) = stream.next().await {
        chunk?;
    }
    telemetry.force_flush()?;

    match &stand_in {
        Some(receiver) => {
            let spans = receiver.wait_for_spans(3, Duration::from_secs(5)).await;
            let export = receiver
                .exports()
                .into_iter()
                .next()
                .ok_or("nothing exported")?;
            println!(
                "POST {} (authorization: Bearer …, x-bt-parent: {})",
                export.path,
                export.header("x-bt-parent").unwrap_or("?")
            );
            for span in spans {
                println!(
                    "  {:<32} {}",
                    span.name,
                    span.str_attr("braintrust.span_attributes").unwrap_or("")
                );
                if let Some(m) = span.str_attr("braintrust.metrics") {
                    println!("  {:<32} metrics {m}", "");
                }
            }
        }
        None => println!("sent; open your Braintrust project's Logs to see the trace"),
    }
    telemetry.shutdown()?;
    Ok(())
}

/// Mistral for real with `MISTRAL_API_KEY`, else the embedded mock.
async fn mistral() -> Result<(String, String, Option<MockServer>), Box<dyn Error>> {
    match std::env::var("MISTRAL_API_KEY") {
        Ok(key) if !key.is_empty() => Ok(("https://api.mistral.ai".into(), key, None)),
        _ => {
            let server = MockServer::builder(Fixtures::load(
                mistral_otel_test_support::fixtures_dir("mistral"),
            )?)
            .chunk_bytes(512)
            .chunk_delay(Duration::from_millis(2))
            .start()
            .await?;
            Ok((server.base_url(), "sk-demo".into(), Some(server)))
        }
    }
}
