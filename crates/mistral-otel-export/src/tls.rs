//! TLS for gRPC `https://` endpoints (feature `tls`).

use opentelemetry_otlp::WithTonicConfig;
use opentelemetry_otlp::tonic_types::transport::ClientTlsConfig;

use crate::endpoint::is_https;
use crate::env::Env;

/// tonic's default TLS config trusts no roots; give it the webpki roots when the endpoint
/// that will be used (code, then per-signal, then general variable) is `https://`.
pub(crate) fn with_roots_for_https<B: WithTonicConfig>(
    builder: B,
    endpoint: Option<&str>,
    signal_endpoint_var: &str,
    env: &Env,
) -> B {
    let effective = endpoint
        .map(str::to_owned)
        .or_else(|| env.get(signal_endpoint_var))
        .or_else(|| env.get(opentelemetry_otlp::OTEL_EXPORTER_OTLP_ENDPOINT));
    if effective.is_some_and(|url| is_https(&url)) {
        builder.with_tls_config(ClientTlsConfig::new().with_webpki_roots())
    } else {
        builder
    }
}
