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
//! * `mistral-otel-wire`: routes, lenient wire models, SSE push parser (no I/O).
//! * [`mapping`](crate#layers) (private): wire facts to span names, attributes, content JSON.
//! * `turn` and `tap` (private): the recorder that owns spans and time, and the body
//!   wrapper that hands each frame to it.
//! * this module: configuration and the middleware.
//!
//! # Placement in a middleware chain
//!
//! The turn span is the current context while the inner middleware runs. Put a retry
//! middleware **after** (inside) this one to get one turn span per logical call, with
//! the attempts nested under it if they are instrumented themselves; put it **before**
//! (outside) to get one turn span per attempt.
#![deny(missing_docs)]

pub mod capture;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hosts;
mod links;
mod mapping;
mod metrics;
mod middleware;
pub mod options;
pub mod semconv;
mod tap;
mod tool;
mod turn;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry::InstrumentationScope;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::trace::{Tracer, TracerProvider};

pub use capture::{ContentField, Redactor};
pub use metrics::{DURATION_BUCKETS, MAX_METRIC_ERROR_TYPES, MAX_METRIC_TOOL_NAMES, TOKEN_BUCKETS};
pub use tool::FunctionExecution;

use capture::ContentPolicy;
use hosts::Targets;
use links::TurnLinks;
use metrics::{Cardinality, Instruments};

/// Default cap on a plain response body kept for parsing (past it: span marked, no output mapping).
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Default cap on one SSE line or event (past it: collection stops for that stream).
pub const DEFAULT_MAX_EVENT_BYTES: usize = mistral_otel_wire::DEFAULT_MAX_EVENT_BYTES;
/// Default number of conversations remembered for turn links.
pub const DEFAULT_TURN_LINKS: usize = 1024;
/// The environment variable that switches content capture on.
pub const CAPTURE_CONTENT_ENV: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

const SCOPE_NAME: &str = "mistral-otel";

static BRAINTRUST_DEFAULT: AtomicBool = AtomicBool::new(false);

/// Turn `braintrust.*` attributes on (or off) for every middleware whose builder did not
/// set [`MistralTracingBuilder::braintrust`]. `mistral-otel-export`'s Braintrust preset
/// calls this when it installs, so one line of setup gives Braintrust-native traces.
pub fn set_braintrust_default(on: bool) {
    BRAINTRUST_DEFAULT.store(on, Ordering::Relaxed);
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE_NAME)
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url("https://opentelemetry.io/schemas/1.41.1")
        .build()
}

enum TracerSource {
    /// Looked up per request, so a provider installed after the client was built is used.
    Global,
    Fixed(Arc<BoxedTracer>),
}

enum MeterSource {
    Off,
    /// The global provider, looked up per request: instruments are made again when the
    /// application installs another provider.
    Global(Mutex<Option<(GlobalMeterProvider, Arc<Instruments>)>>),
    Fixed(Arc<Instruments>),
}

type GlobalMeterProvider = Arc<dyn MeterProvider + Send + Sync>;

pub(crate) struct Config {
    tracer: TracerSource,
    meter: MeterSource,
    pub(crate) capture_content: bool,
    pub(crate) content: ContentPolicy,
    braintrust: Option<bool>,
    pub(crate) propagate: bool,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_event_bytes: usize,
    pub(crate) links: Option<Arc<TurnLinks>>,
    pub(crate) targets: Targets,
    cardinality: Arc<Cardinality>,
}

impl Config {
    /// `braintrust.*` attributes: the builder's choice, else the process default.
    pub(crate) fn braintrust(&self) -> bool {
        self.braintrust
            .unwrap_or_else(|| BRAINTRUST_DEFAULT.load(Ordering::Relaxed))
    }

    pub(crate) fn tracer(&self) -> Arc<BoxedTracer> {
        match &self.tracer {
            TracerSource::Global => Arc::new(global::tracer_with_scope(scope())),
            TracerSource::Fixed(t) => t.clone(),
        }
    }

    /// The instruments of the meter provider in force for this request.
    pub(crate) fn instruments(&self) -> Option<Arc<Instruments>> {
        match &self.meter {
            MeterSource::Off => None,
            MeterSource::Fixed(instruments) => Some(instruments.clone()),
            MeterSource::Global(cache) => {
                let provider = global::meter_provider();
                let mut cache = cache.lock().ok()?;
                if let Some((installed, instruments)) = cache.as_ref()
                    && Arc::ptr_eq(installed, &provider)
                {
                    return Some(instruments.clone());
                }
                let instruments = Arc::new(Instruments::new(
                    &provider.meter_with_scope(scope()),
                    self.cardinality.clone(),
                ));
                *cache = Some((provider, instruments.clone()));
                Some(instruments)
            }
        }
    }
}

/// What the builder was told about metrics.
enum MeterChoice {
    Off,
    Global,
    Fixed(Meter),
}

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
            .field("capture_content", &self.config.capture_content)
            .field("braintrust", &self.config.braintrust())
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

/// Builder for [`MistralTracing`]. Settings from code win over the environment.
pub struct MistralTracingBuilder {
    tracer: Option<Arc<BoxedTracer>>,
    meter: Option<MeterChoice>,
    capture_content: Option<bool>,
    content: ContentPolicy,
    braintrust: Option<bool>,
    propagate: bool,
    max_body_bytes: usize,
    max_event_bytes: usize,
    turn_links: usize,
    targets: Targets,
}

impl std::fmt::Debug for MistralTracingBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MistralTracingBuilder")
            .field("capture_content", &self.capture_content)
            .field("content", &self.content)
            .finish_non_exhaustive()
    }
}

impl Default for MistralTracingBuilder {
    fn default() -> Self {
        Self {
            tracer: None,
            meter: None,
            capture_content: None,
            content: ContentPolicy::default(),
            braintrust: None,
            propagate: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            turn_links: DEFAULT_TURN_LINKS,
            targets: Targets::default(),
        }
    }
}

impl MistralTracingBuilder {
    /// Send spans to this provider instead of the global one.
    pub fn tracer_provider<P>(mut self, provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as Tracer>::Span: Send + Sync + 'static,
    {
        self.tracer = Some(Arc::new(BoxedTracer::new(Box::new(
            provider.tracer_with_scope(scope()),
        ))));
        self
    }

    /// Record metrics with this provider instead of the global one.
    pub fn meter_provider<P: MeterProvider>(mut self, provider: &P) -> Self {
        self.meter = Some(MeterChoice::Fixed(provider.meter_with_scope(scope())));
        self
    }

    /// Turn metrics on (default: the global meter provider, looked up per request so that
    /// one installed later, or installed again, is used) or off.
    pub fn metrics(mut self, on: bool) -> Self {
        self.meter = Some(if on {
            MeterChoice::Global
        } else {
            MeterChoice::Off
        });
        self
    }

    /// Capture instructions, messages, tool arguments and results (default: off, or the
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` variable).
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = Some(on);
        self
    }

    /// Cap on one captured attribute value in bytes (default 32 KiB). Values past it are
    /// cut so that they stay valid JSON, and the turn is marked `mistral_ai.content.truncated`.
    pub fn max_attribute_bytes(mut self, bytes: usize) -> Self {
        self.content.max_attribute_bytes = bytes;
        self
    }

    /// A hook that rewrites captured content before any attribute exists.
    pub fn redactor(mut self, redactor: impl Redactor + 'static) -> Self {
        self.content.redactor = Some(Arc::new(redactor));
        self
    }

    /// Add `braintrust.*` attributes so Braintrust renders task / llm / tool rows.
    pub fn braintrust(mut self, on: bool) -> Self {
        self.braintrust = Some(on);
        self
    }

    /// Inject the current trace context (global propagator) into requests (default on).
    pub fn propagate(mut self, on: bool) -> Self {
        self.propagate = on;
        self
    }

    /// Cap on a plain response body kept for parsing (default 8 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Cap on one SSE line or event (default 4 MiB).
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.max_event_bytes = bytes;
        self
    }

    /// How many conversations to remember for turn links (default 1024; 0 turns links off).
    pub fn turn_links(mut self, conversations: usize) -> Self {
        self.turn_links = conversations;
        self
    }

    /// Also trace requests to `host` (`"gateway.internal"`, or `"host:port"` to pin the
    /// port): a gateway or a self-hosted deployment that serves Mistral's API at the root
    /// path. Mistral's own hosts ([`hosts::DEFAULT_MISTRAL_HOSTS`]) are always traced;
    /// requests to any other host pass through untouched (no span, no parsing, no header).
    ///
    /// ```
    /// let tracing = mistral_otel::MistralTracing::builder()
    ///     .host("mistral-gateway.internal")
    ///     .build();
    /// # let _ = tracing;
    /// ```
    pub fn host(mut self, host: &str) -> Self {
        self.targets.add_host(host);
        self
    }

    /// Also trace requests under `base`: its scheme, host and port must match and the path
    /// must start with its path, which is removed before the endpoint is recognised (a
    /// gateway that serves the API under a prefix, a cloud deployment).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let tracing = mistral_otel::MistralTracing::builder()
    ///     .base_url("https://llm-gateway.example.com/mistral".parse()?)
    ///     .build();
    /// // traced: https://llm-gateway.example.com/mistral/v1/chat/completions
    /// # let _ = tracing; Ok(())
    /// # }
    /// ```
    pub fn base_url(mut self, base: reqwest::Url) -> Self {
        self.targets.add_base_url(&base);
        self
    }

    /// Build the middleware.
    pub fn build(self) -> MistralTracing {
        let capture_content = self.capture_content.unwrap_or_else(|| {
            capture_from_env(std::env::var(CAPTURE_CONTENT_ENV).ok().as_deref())
        });
        let cardinality = Arc::new(Cardinality::default());
        let meter = match self.meter.unwrap_or(MeterChoice::Global) {
            MeterChoice::Off => MeterSource::Off,
            MeterChoice::Global => MeterSource::Global(Mutex::new(None)),
            MeterChoice::Fixed(meter) => {
                MeterSource::Fixed(Arc::new(Instruments::new(&meter, cardinality.clone())))
            }
        };
        MistralTracing {
            config: Arc::new(Config {
                tracer: self
                    .tracer
                    .map_or(TracerSource::Global, TracerSource::Fixed),
                meter,
                capture_content,
                content: self.content,
                braintrust: self.braintrust,
                propagate: self.propagate,
                max_body_bytes: self.max_body_bytes,
                max_event_bytes: self.max_event_bytes,
                links: (self.turn_links > 0).then(|| Arc::new(TurnLinks::new(self.turn_links))),
                targets: self.targets,
                cardinality,
            }),
        }
    }
}

/// `true` / `SPAN_ONLY` / `SPAN_AND_EVENT` (any case) turn capture on; anything else is off.
pub fn capture_from_env(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "span_only" | "span_and_event" | "event_only")
    )
}
