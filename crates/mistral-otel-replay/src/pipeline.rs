//! Where replayed spans go: always to memory, and over OTLP when the environment asks.

use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter};

use crate::ReplayError;

/// `service.name` of the replay's own provider.
const SERVICE_NAME: &str = "mistral-otel-replay";

/// An in-memory exporter that also remembers the provider's resource, which the SDK
/// hands to exporters only (the OTLP JSON lines need it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder {
    spans: InMemorySpanExporter,
    resource: Arc<Mutex<Option<Resource>>>,
}

impl Recorder {
    pub(crate) fn spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap_or_default()
    }

    pub(crate) fn resource(&self) -> Resource {
        self.resource
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| Resource::builder_empty().build())
    }
}

impl SpanExporter for Recorder {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.spans.export(batch)
    }

    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap_or_else(PoisonError::into_inner) = Some(resource.clone());
    }
}

/// The tracer provider of a run and what must be shut down with it.
pub(crate) enum Pipeline {
    /// Memory only.
    Local(SdkTracerProvider),
    /// Memory plus the OTLP exporter configured from `OTEL_EXPORTER_OTLP_*`.
    Exported(mistral_otel_export::Telemetry),
}

impl Pipeline {
    /// OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT` is set.
    pub(crate) fn new(recorder: &Recorder) -> Result<Self, ReplayError> {
        let wants_export = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
        // OTEL_SERVICE_NAME, when set, names the service; otherwise the replay does.
        let own_name = std::env::var_os("OTEL_SERVICE_NAME").is_none_or(|v| v.is_empty());
        if !wants_export {
            let mut resource = Resource::builder();
            if own_name {
                resource = resource.with_service_name(SERVICE_NAME);
            }
            let provider = SdkTracerProvider::builder()
                .with_resource(resource.build())
                .with_simple_exporter(recorder.clone())
                .build();
            return Ok(Self::Local(provider));
        }
        let mut config = mistral_otel_export::OtlpConfig::from_env();
        if own_name {
            config = config.service_name(SERVICE_NAME);
        }
        let recorder = recorder.clone();
        config
            .build_with(move |builder| builder.with_simple_exporter(recorder))
            .map(Self::Exported)
            .map_err(|err| ReplayError::Export(err.to_string()))
    }

    /// The meter provider when exporting (metrics go where the spans go, unless turned off).
    pub(crate) fn meter_provider(&self) -> Option<&opentelemetry_sdk::metrics::SdkMeterProvider> {
        match self {
            Self::Exported(telemetry) => telemetry.meter_provider(),
            _ => None,
        }
    }

    /// The logger provider when exporting (GenAI events), unless logs are off.
    pub(crate) fn logger_provider(&self) -> Option<&opentelemetry_sdk::logs::SdkLoggerProvider> {
        match self {
            Self::Exported(telemetry) => telemetry.logger_provider(),
            _ => None,
        }
    }

    pub(crate) fn provider(&self) -> &SdkTracerProvider {
        match self {
            Self::Local(provider) => provider,
            Self::Exported(telemetry) => telemetry.tracer_provider(),
        }
    }

    /// Flushes and stops export; failures are returned as text for the report.
    pub(crate) fn shutdown(self) -> Result<(), String> {
        match self {
            Self::Local(provider) => provider.shutdown().map_err(|err| err.to_string()),
            Self::Exported(telemetry) => telemetry.shutdown().map_err(|err| err.to_string()),
        }
    }
}
