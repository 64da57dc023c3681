//! The HTTP client of the OTLP/HTTP exporters: hyper, with an explicit rustls/ring
//! connector under the `tls` feature.
//!
//! Handing the exporter our own client (rather than its reqwest one) keeps TLS choices
//! local: no process-wide rustls provider is installed, and other reqwest clients in the
//! application are unaffected by this crate's features.

use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use opentelemetry_http::hyper::HyperClient;

use crate::config::OtlpConfig;
use crate::error::ExportError;

/// The exporters' default when neither code nor environment sets a timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The request timeout the exporter will also use: code, then the per-signal variable,
/// then `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), then 10 s.
pub(crate) fn timeout(config: &OtlpConfig, signal_timeout_var: &str) -> Duration {
    config
        .timeout
        .or_else(|| config.env.millis(signal_timeout_var))
        .or_else(|| {
            config
                .env
                .millis(opentelemetry_otlp::OTEL_EXPORTER_OTLP_TIMEOUT)
        })
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Plain HTTP only: an `https://` endpoint fails each export (never panics).
#[cfg(not(feature = "tls"))]
pub(crate) fn client(timeout: Duration) -> Result<HyperClient<HttpConnector>, ExportError> {
    Ok(HyperClient::new(HttpConnector::new(), timeout, None))
}

/// HTTP and HTTPS, trusting the webpki (Mozilla) roots.
#[cfg(feature = "tls")]
pub(crate) fn client(
    timeout: Duration,
) -> Result<HyperClient<hyper_rustls::HttpsConnector<HttpConnector>>, ExportError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(provider)
        .map_err(|e| ExportError::Tls(e.to_string()))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(HyperClient::new(connector, timeout, None))
}
