//! The settings a built middleware runs with, and the providers it looks up per request.

use std::sync::{Arc, Mutex};

use opentelemetry::InstrumentationScope;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::metrics::MeterProvider;

use crate::capture::{ContentCapture, ContentPolicy};
use crate::decorate::Decorator;
use crate::events::EventSink;
use crate::hosts::Targets;
use crate::links::{AgentNames, ClientHandoffs, PendingCalls, TurnLinks};
use crate::metrics::{Cardinality, Instruments};
use crate::semconv::Conventions;

const SCOPE_NAME: &str = "mistral-otel";

/// The instrumentation scope of every span and metric.
pub(crate) fn scope(conventions: Conventions) -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE_NAME)
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(conventions.schema_url())
        .build()
}

pub(crate) enum TracerSource {
    /// Looked up per request, so a provider installed after the client was built is used.
    Global,
    Fixed(Arc<BoxedTracer>),
}

pub(crate) enum MeterSource {
    Off,
    /// The global provider, looked up per request: instruments are made again when the
    /// application installs another provider.
    Global(Mutex<Option<(GlobalMeterProvider, Arc<Instruments>)>>),
    Fixed(Arc<Instruments>),
}

type GlobalMeterProvider = Arc<dyn MeterProvider + Send + Sync>;

/// A built middleware's settings.
pub(crate) struct Config {
    pub(crate) tracer: TracerSource,
    pub(crate) meter: MeterSource,
    pub(crate) content_capture: ContentCapture,
    /// Where the details events go (`None`: no events).
    pub(crate) events: Option<Arc<dyn EventSink>>,
    pub(crate) content: ContentPolicy,
    pub(crate) decorator: Arc<dyn Decorator>,
    pub(crate) propagate: bool,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_event_bytes: usize,
    pub(crate) links: Option<Arc<TurnLinks>>,
    /// Agent names seen in agent responses, for `invoke_agent {name}` of agents completions.
    pub(crate) agent_names: Arc<AgentNames>,
    /// Function calls waiting for a confirmation, by tool call id.
    pub(crate) pending_calls: Arc<PendingCalls>,
    /// Handoffs handed back to the client, by conversation and by receiving agent.
    pub(crate) client_handoffs: Arc<ClientHandoffs>,
    pub(crate) targets: Targets,
    pub(crate) cardinality: Arc<Cardinality>,
    /// Which names the spans and metrics carry.
    pub(crate) conventions: Conventions,
}

impl Config {
    pub(crate) fn tracer(&self) -> Arc<BoxedTracer> {
        match &self.tracer {
            TracerSource::Global => Arc::new(global::tracer_with_scope(scope(self.conventions))),
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
                    &provider.meter_with_scope(scope(self.conventions)),
                    self.cardinality.clone(),
                    self.conventions,
                ));
                *cache = Some((provider, instruments.clone()));
                Some(instruments)
            }
        }
    }
}
