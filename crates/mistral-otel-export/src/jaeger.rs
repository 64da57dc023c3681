//! Local development against Jaeger.
//!
//! Jaeger takes OTLP on 4317 (gRPC) and 4318 (HTTP) and shows traces on 16686:
//!
//! ```text
//! docker run --rm -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/jaeger:latest
//! ```
//!
//! The preset is traces only: Jaeger stores no metrics and takes no OTLP logs, and a
//! metrics or logs export would only come back as an error. It never builds a meter
//! provider or a logger provider, whatever `OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER`
//! or `MISTRAL_OTEL_METRICS` say: the preset reads none of them (it starts from
//! [`OtlpConfig::new`]), and turns both the switch and the exporter of each signal off, so
//! only code calling both [`OtlpConfig::metrics`] and [`OtlpConfig::metrics_exporter`]
//! (or [`OtlpConfig::logs`] and [`OtlpConfig::logs_exporter`]) could bring one back. The
//! middleware's GenAI events are then not exported; their content still reaches Jaeger
//! as span attributes if the middleware records it there. `OTEL_SDK_DISABLED=true` still
//! turns everything off.

use std::time::Duration;

use crate::config::{OtlpConfig, Protocol, SignalExporter};

/// OTLP/gRPC to `http://localhost:4317` (or `OTEL_EXPORTER_OTLP_ENDPOINT`), spans batched
/// for only 500 ms so they show up quickly, no metrics and no logs (Jaeger takes neither).
/// The service
/// name is `OTEL_SERVICE_NAME` or `unknown_service:<executable>`; chain
/// [`OtlpConfig::service_name`] to pick one.
///
/// ```no_run
/// # fn main() -> Result<(), mistral_otel_export::ExportError> {
/// let telemetry = mistral_otel_export::jaeger::config()
///     .service_name("support-agent")
///     .install()?;
/// // ... open http://localhost:16686 ...
/// telemetry.shutdown()?;
/// # Ok(())
/// # }
/// ```
pub fn config() -> OtlpConfig {
    OtlpConfig::new()
        .protocol(Protocol::Grpc)
        .batch_delay(Duration::from_millis(500))
        .metrics(false)
        .metrics_exporter(SignalExporter::None)
        .logs(false)
        .logs_exporter(SignalExporter::None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn jaeger_preset_is_grpc_without_metrics_or_logs() {
        let config = config();
        assert_eq!(config.traces_protocol(), Protocol::Grpc);
        assert!(!config.metrics_enabled());
        assert_eq!(config.metrics_exporter_kind(), SignalExporter::None);
        assert!(!config.logs_enabled());
        assert_eq!(config.logs_exporter_kind(), SignalExporter::None);
        assert_eq!(config.batch_delay, Some(Duration::from_millis(500)));
    }

    #[test]
    fn jaeger_preset_turning_the_switches_back_on_still_builds_no_meter_or_logger_provider() {
        let telemetry = config()
            .endpoint("http://127.0.0.1:9")
            .metrics(true)
            .logs(true)
            .build()
            .unwrap();
        assert!(telemetry.meter_provider().is_none());
        assert!(telemetry.logger_provider().is_none());
        let _ = telemetry.shutdown();
    }
}
