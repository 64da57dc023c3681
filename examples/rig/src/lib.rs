//! rig-core's Mistral provider sending its calls through a `reqwest_middleware` client that
//! carries [`MistralTracing`]: the middleware traces what rig sends, as it would any other
//! client's calls. [`mock`] serves recorded Mistral answers so that this runs anywhere.

use mistral_mock::{Fixtures, MockServer};
use mistral_otel::MistralTracing;
use rig_core::providers::openai::{OpenAI, OpenAIConfig, wire::MISTRAL};
use rig_reqwest::ReqwestMiddlewareClient;

/// Recorded exchanges (from the live API) the mock answers with: a chat completion, a
/// streamed one and an embeddings call.
pub const CASES: [(&str, &str); 3] = [
    (
        "braintrust-sdk-javascript",
        "v1-latest__01_post_v1_chat_completions",
    ),
    (
        "braintrust-sdk-javascript",
        "v1-latest__02_post_v1_chat_completions_stream",
    ),
    (
        "braintrust-sdk-javascript",
        "v1-latest__13_post_v1_embeddings",
    ),
];

/// A mock of Mistral's API answering rig's chat, streamed chat and embeddings requests with
/// recorded answers.
pub async fn mock() -> Result<MockServer, Box<dyn std::error::Error>> {
    let real = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/real");
    let mut fixtures = Fixtures::empty();
    for (folder, name) in CASES {
        let recorded = Fixtures::load(format!("{real}/{folder}"))?;
        let case = recorded.case(name).ok_or("missing recorded case")?;
        fixtures.push_case(
            case.clone(),
            recorded.request_body(case),
            recorded.response_body(case),
        );
    }
    Ok(MockServer::builder(fixtures).start().await?)
}

/// rig's Mistral client (the OpenAI-shaped client on the Mistral dialect) over a
/// `reqwest_middleware` client traced by `tracing`, sending to `base` (no `/v1`).
pub fn rig_client(tracing: MistralTracing, base: &str, key: &str) -> OpenAI {
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(tracing)
        .build();
    OpenAIConfig::with_key(&MISTRAL, key)
        .with_base_url(base)
        .connect(ReqwestMiddlewareClient::from(http))
}
