//! Building a [`MistralTracing`]: code first, then the environment, then defaults.

use std::sync::{Arc, Mutex};

use opentelemetry::global::BoxedTracer;
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::trace::{Tracer, TracerProvider};

use crate::capture::{ContentPolicy, Redactor};
use crate::config::{Config, MeterSource, TracerSource, scope};
use crate::decorate::Decorator;
use crate::env::{process_env, resolve_capture};
use crate::hosts::Targets;
use crate::links::{AgentNames, TurnLinks};
use crate::metrics::{Cardinality, Instruments};
use crate::{
    AGENT_NAMES_REMEMBERED as AGENT_NAMES, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_TURN_LINKS, MistralTracing,
};

/// What the builder was told about metrics.
enum MeterChoice {
    Off,
    Global,
    Fixed(Meter),
}

/// Builder for [`MistralTracing`]. Settings from code win over the environment.
pub struct MistralTracingBuilder {
    tracer: Option<Arc<BoxedTracer>>,
    meter: Option<MeterChoice>,
    capture_content: Option<bool>,
    content: ContentPolicy,
    decorator: Arc<dyn Decorator>,
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
            decorator: Arc::new(()),
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

    /// Decorate every call's spans with `decorator` (one; the default `()` adds nothing),
    /// for example [`crate::braintrust::Braintrust`]. A decorator that wants content
    /// captured gets it unless [`capture_content`](Self::capture_content) or
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` say otherwise.
    pub fn decorator(mut self, decorator: impl Decorator) -> Self {
        self.decorator = Arc::new(decorator);
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
        let capture_content = resolve_capture(
            self.capture_content,
            process_env,
            self.decorator.wants_content(),
        );
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
                decorator: self.decorator,
                propagate: self.propagate,
                max_body_bytes: self.max_body_bytes,
                max_event_bytes: self.max_event_bytes,
                links: (self.turn_links > 0).then(|| Arc::new(TurnLinks::new(self.turn_links))),
                agent_names: Arc::new(AgentNames::new(AGENT_NAMES)),
                targets: self.targets,
                cardinality,
            }),
        }
    }
}
