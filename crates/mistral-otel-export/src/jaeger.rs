//! Local development against Jaeger.
//!
//! Jaeger takes OTLP on 4317 (gRPC) and 4318 (HTTP) and shows traces on 16686:
//!
//! ```text
//! docker run --rm -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/jaeger:latest
//! ```

use std::time::Duration;

use crate::config::{OtlpConfig, Protocol};

/// OTLP/gRPC to `http://localhost:4317` (or `OTEL_EXPORTER_OTLP_ENDPOINT`), spans batched
/// for only 500 ms so they show up quickly, metrics off (Jaeger takes none). The service
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaeger_preset_is_grpc_without_metrics() {
        let config = config();
        assert_eq!(config.traces_protocol(), Protocol::Grpc);
        assert!(!config.metrics_enabled());
        assert_eq!(config.batch_delay, Some(Duration::from_millis(500)));
    }
}
