//! Building a [`MistralTracing`]: code first, then the environment, then defaults.

use std::sync::{Arc, Mutex};

use opentelemetry::InstrumentationScope;
use opentelemetry::global::BoxedTracer;
use opentelemetry::logs::LoggerProvider;
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::trace::{Tracer, TracerProvider};

use crate::capture::{ContentCapture, ContentPolicy, Redactor};
use crate::config::{Config, MeterSource, TracerSource, scope};
use crate::decorate::Decorator;
use crate::env::{process_env, resolve_capture, resolve_emit_events};
use crate::events::{EventSink, LoggerSink};
use crate::hosts::Targets;
use crate::links::{AgentNames, ClientHandoffs, PendingCalls, TurnLinks};
use crate::metrics::{Cardinality, Instruments};
use crate::semconv::{Conventions, STABILITY_OPT_IN_ENV};
use crate::{
    AGENT_NAMES_REMEMBERED as AGENT_NAMES, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_TURN_LINKS, MistralTracing,
};

/// Makes the tracer of a provider given to the builder, once the scope (which names the
/// conventions' schema) is known at build.
type TracerFactory = Box<dyn FnOnce(InstrumentationScope) -> BoxedTracer + Send>;

/// What the builder was told about metrics.
enum MeterChoice {
    Off,
    Global,
    Fixed(Box<dyn FnOnce(InstrumentationScope) -> Meter + Send>),
}

/// Builder for [`MistralTracing`]. Settings from code win over the environment.
pub struct MistralTracingBuilder {
    tracer: Option<TracerFactory>,
    meter: Option<MeterChoice>,
    conventions: Option<Conventions>,
    capture_content: Option<ContentCapture>,
    emit_events: Option<bool>,
    events: Option<Arc<dyn EventSink>>,
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
            conventions: None,
            capture_content: None,
            emit_events: None,
            events: None,
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
        P: TracerProvider + Clone + Send + 'static,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as Tracer>::Span: Send + Sync + 'static,
    {
        let provider = provider.clone();
        self.tracer = Some(Box::new(move |scope| {
            BoxedTracer::new(Box::new(provider.tracer_with_scope(scope)))
        }));
        self
    }

    /// Record metrics with this provider instead of the global one.
    pub fn meter_provider<P: MeterProvider + Clone + Send + 'static>(
        mut self,
        provider: &P,
    ) -> Self {
        let provider = provider.clone();
        self.meter = Some(MeterChoice::Fixed(Box::new(move |scope| {
            provider.meter_with_scope(scope)
        })));
        self
    }

    /// Which GenAI semantic conventions to follow (default: v1.41.1, or the latest
    /// experimental ones when `OTEL_SEMCONV_STABILITY_OPT_IN` holds
    /// `gen_ai_latest_experimental`); see [`Conventions`].
    ///
    /// ```
    /// use mistral_otel::semconv::Conventions;
    /// let tracing = mistral_otel::MistralTracing::builder()
    ///     .conventions(Conventions::GenAiLatest)
    ///     .build();
    /// # let _ = tracing;
    /// ```
    pub fn conventions(mut self, conventions: Conventions) -> Self {
        self.conventions = Some(conventions);
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

    /// Capture instructions, messages, tool arguments and results on spans (`true`: the
    /// same as `content_capture(ContentCapture::SpanOnly)`), or nothing (`false`).
    /// Default: the `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` variable, else
    /// what the decorator asks for, else nothing.
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = Some(if on {
            ContentCapture::SpanOnly
        } else {
            ContentCapture::NoContent
        });
        self
    }

    /// Where content is captured: nowhere (default), on spans, in the
    /// `gen_ai.client.inference.operation.details` event, or both. The event needs a
    /// [`logger_provider`](Self::logger_provider).
    ///
    /// ```
    /// use mistral_otel::capture::ContentCapture;
    /// let logs = opentelemetry_sdk::logs::SdkLoggerProvider::builder().build();
    /// let tracing = mistral_otel::MistralTracing::builder()
    ///     .content_capture(ContentCapture::EventOnly)
    ///     .logger_provider(&logs)
    ///     .build();
    /// # let _ = tracing;
    /// ```
    pub fn content_capture(mut self, mode: ContentCapture) -> Self {
        self.capture_content = Some(mode);
        self
    }

    /// Emit the `gen_ai.client.inference.operation.details` event of each turn and
    /// completion as a log record through `provider` (OpenTelemetry has no global logger
    /// provider: events need this). Whether events are emitted: [`emit_events`](Self::emit_events).
    pub fn logger_provider<P>(mut self, provider: &P) -> Self
    where
        P: LoggerProvider,
        P::Logger: Send + Sync + 'static,
    {
        let logger = provider.logger_with_scope(scope(Conventions::default()));
        self.events = Some(Arc::new(LoggerSink(logger)));
        self
    }

    /// Emit the details events (default: `OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT`, else on
    /// when content goes to events). Without content in events they carry the call's
    /// attributes only.
    pub fn emit_events(mut self, on: bool) -> Self {
        self.emit_events = Some(on);
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
    /// path. Mistral's own hosts ([`crate::hosts::DEFAULT_MISTRAL_HOSTS`]) are always traced;
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
        let content_capture = resolve_capture(
            self.capture_content,
            process_env,
            self.decorator.wants_content(),
        );
        let events = self
            .events
            .filter(|_| resolve_emit_events(self.emit_events, process_env, content_capture));
        let conventions = self.conventions.unwrap_or_else(|| {
            Conventions::from_opt_in(process_env(STABILITY_OPT_IN_ENV).as_deref())
        });
        let cardinality = Arc::new(Cardinality::default());
        let meter = match self.meter.unwrap_or(MeterChoice::Global) {
            MeterChoice::Off => MeterSource::Off,
            MeterChoice::Global => MeterSource::Global(Mutex::new(None)),
            MeterChoice::Fixed(make) => MeterSource::Fixed(Arc::new(Instruments::new(
                &make(scope(conventions)),
                cardinality.clone(),
                conventions,
            ))),
        };
        MistralTracing {
            config: Arc::new(Config {
                tracer: self.tracer.map_or(TracerSource::Global, |make| {
                    TracerSource::Fixed(Arc::new(make(scope(conventions))))
                }),
                conventions,
                meter,
                content_capture,
                events,
                content: self.content,
                decorator: self.decorator,
                propagate: self.propagate,
                max_body_bytes: self.max_body_bytes,
                max_event_bytes: self.max_event_bytes,
                links: (self.turn_links > 0).then(|| Arc::new(TurnLinks::new(self.turn_links))),
                agent_names: Arc::new(AgentNames::new(AGENT_NAMES)),
                pending_calls: Arc::new(PendingCalls::new(AGENT_NAMES)),
                client_handoffs: Arc::new(ClientHandoffs::new(AGENT_NAMES)),
                targets: self.targets,
                cardinality,
            }),
        }
    }
}
