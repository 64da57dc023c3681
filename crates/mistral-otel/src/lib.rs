//! OpenTelemetry instrumentation for Mistral's Conversations API, as one
//! [`reqwest_middleware`] layer.
//!
//! Add [`MistralTracing`] to a `reqwest_middleware` client and every Mistral
//! Conversations call made with it becomes a correct OpenTelemetry trace: the turn as an
//! `invoke_agent` CLIENT span, with `chat`, `execute_tool` and handoff `invoke_agent`
//! children, function calls as events, token usage, errors, and for streams the tree
//! built live from the SSE events (time to first chunk, honest endings) while every byte
//! reaches the caller unchanged and undelayed. Requests to anything else pass through
//! untouched.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use mistral_otel::MistralTracing;
//!
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(MistralTracing::new())
//!     .build();
//! let response = client
//!     .post("https://api.mistral.ai/v1/conversations")
//!     .bearer_auth(std::env::var("MISTRAL_API_KEY")?)
//!     .header("content-type", "application/json")
//!     .body(r#"{"inputs":"Hello","model":"mistral-medium-latest","stream":false}"#)
//!     .send()
//!     .await?;
//! let body = response.text().await?; // the turn span ends with the last byte
//! # let _ = body; Ok(()) }
//! ```
//!
//! Spans go to the global tracer provider unless [`MistralTracingBuilder::tracer_provider`]
//! names one; `mistral-otel-export` installs an OTLP exporter in one call.
//!
//! # Layers
//!
//! Data flows one way:
//!
//! * `mistral-otel-wire`: routes, lenient wire models, the SSE push parser and the stream
//!   fold (no I/O, no OpenTelemetry).
//! * `mapping` (private): wire facts to span names, attributes and content JSON.
//! * `record` and `call` (private): the recorders that own spans and time, one per kind of
//!   response body, and the call span they record into.
//! * `tap` (private): the body wrapper that hands each frame to a recorder.
//! * `middleware` (private), [`MistralTracingBuilder`], [`decorate`] (the extension point,
//!   with [`braintrust`] as one decorator), [`options`], [`capture`], [`hosts`].
//!
//! # Placement in a middleware chain
//!
//! The turn span is the current context while the inner middleware runs. Put a retry
//! middleware **after** (inside) this one to get one turn span per logical call, with
//! the attempts nested under it if they are instrumented themselves; put it **before**
//! (outside) to get one turn span per attempt.
#![deny(missing_docs)]

pub mod braintrust;
mod builder;
mod call;
pub mod capture;
mod config;
pub mod decorate;
mod env;
mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hosts;
mod links;
mod mapping;
mod metrics;
mod middleware;
pub mod options;
mod record;
pub mod semconv;
mod tap;
mod tool;

use std::sync::Arc;

pub use builder::MistralTracingBuilder;
pub use capture::{ContentField, Redactor};
pub use env::{CAPTURE_CONTENT_ENV, EMIT_EVENT_ENV, capture_from_env};
pub use metrics::{DURATION_BUCKETS, MAX_METRIC_ERROR_TYPES, MAX_METRIC_TOOL_NAMES, TOKEN_BUCKETS};
pub use tool::FunctionExecution;

use config::Config;

/// Default cap on a plain response body kept for parsing (past it: span marked, no output mapping).
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Default cap on one SSE line or event (past it: collection stops for that stream).
pub const DEFAULT_MAX_EVENT_BYTES: usize = mistral_otel_wire::DEFAULT_MAX_EVENT_BYTES;
/// Default number of conversations remembered for turn links.
pub const DEFAULT_TURN_LINKS: usize = 1024;
/// Agent names remembered from agent responses (`create_agent`, agent reads and updates),
/// so that an agents completion that names only `agent_id` is `invoke_agent {name}`.
pub const AGENT_NAMES_REMEMBERED: usize = 1024;

/// The middleware. Cheap to clone; all clones share settings and turn-link memory.
///
/// ```
/// use mistral_otel::MistralTracing;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(MistralTracing::builder().capture_content(true).build())
///     .build();
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct MistralTracing {
    pub(crate) config: Arc<Config>,
}

impl std::fmt::Debug for MistralTracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MistralTracing")
            .field("content_capture", &self.config.content_capture)
            .field("propagate", &self.config.propagate)
            .finish_non_exhaustive()
    }
}

impl Default for MistralTracing {
    fn default() -> Self {
        Self::new()
    }
}

impl MistralTracing {
    /// Default settings: global tracer and meter providers, content capture from
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (off when unset), propagation on.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Configure the middleware.
    pub fn builder() -> MistralTracingBuilder {
        MistralTracingBuilder::default()
    }
}
