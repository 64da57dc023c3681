//! Per-request options, carried as request extensions (in the style of `reqwest-tracing`).
//!
//! Put one on a request with `RequestBuilder::with_extension`, or on every request of a
//! client with `reqwest_middleware::Extension`:
//!
//! ```
//! use mistral_otel::options::{AgentName, CaptureContent};
//! # fn build(client: &reqwest_middleware::ClientWithMiddleware) {
//! let request = client
//!     .post("https://api.mistral.ai/v1/conversations")
//!     .with_extension(AgentName::new("billing-agent"))
//!     .with_extension(CaptureContent(false));
//! # let _ = request;
//! # }
//! ```

use opentelemetry::KeyValue;

/// Names the agent of this turn: the span becomes `invoke_agent {name}` and carries
/// `gen_ai.agent.name`, overriding the request body's `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentName(pub String);

impl AgentName {
    /// An agent name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }
}

/// Turns content capture on or off for this request, whatever the middleware's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureContent(pub bool);

/// No span, no metric, no propagation for this request: it passes through untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisableTracing;

/// Do not inject `traceparent` (or whatever the global propagator writes) into this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisablePropagation;

/// Extra attributes set on the request's top span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtraAttributes(pub Vec<KeyValue>);

impl ExtraAttributes {
    /// Attributes to add.
    pub fn new(attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        Self(attributes.into_iter().collect())
    }
}
