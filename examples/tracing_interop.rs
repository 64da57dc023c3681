//! An application that uses the `tracing` crate: with `tracing-opentelemetry` installed,
//! the Mistral turn spans nest under the application's own `tracing` spans.
//!
//! ```text
//! cargo run --example tracing_interop
//! ```

use std::error::Error;

use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(memory.clone())
        .build();
    // the application's tracing spans become OpenTelemetry spans
    let subscriber = tracing_subscriber::registry()
        // hyper logs each connection step at debug level: keep the application's spans only
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("support-app")));
    tracing::subscriber::set_global_default(subscriber)?;

    let server = MockServer::builder(Fixtures::load(mistral_otel_test_support::fixtures_dir(
        "mistral",
    ))?)
    .start()
    .await?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(
            MistralTracing::builder()
                .tracer_provider(&provider)
                // the embedded mock stands in for https://api.mistral.ai
                .base_url(server.base_url().parse()?)
                .build(),
        )
        .build();

    let ticket = tracing::info_span!("handle_ticket", ticket = "RES-1042");
    async {
        // make the tracing span's OpenTelemetry context current for the request
        let cx = tracing::Span::current().context();
        async {
            client
                .post(format!("{}/v1/conversations", server.base_url()))
                .bearer_auth("sk-demo")
                .header("content-type", "application/json")
                .body(std::fs::read(
                    mistral_otel_test_support::fixtures_dir("mistral")
                        .join("start_web_search.request.json"),
                )?)
                .send()
                .await?
                .bytes()
                .await?;
            Ok::<(), Box<dyn Error>>(())
        }
        .with_context(cx)
        .await
    }
    .instrument(ticket)
    .await?;

    println!(
        "{}",
        mistral_otel_replay::render_tree(&memory.get_finished_spans()?)
    );
    Ok(())
}
