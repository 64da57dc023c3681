//! Everything that can go wrong setting up or driving export.

use std::fmt;

use opentelemetry_sdk::error::OTelSdkError;

/// Why export could not be set up, flushed or shut down.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// An environment variable holds a value this crate does not understand.
    InvalidEnv {
        /// The variable.
        var: String,
        /// What it holds.
        value: String,
        /// What it may hold.
        expected: &'static str,
    },
    /// A header name or value cannot be sent (not visible ASCII, or an invalid name).
    /// The value is never shown: it is usually a credential.
    InvalidHeader {
        /// The header name as given.
        name: String,
    },
    /// An `https://` endpoint was configured but the crate was built without the `tls` feature.
    TlsNotEnabled {
        /// The endpoint.
        endpoint: String,
    },
    /// The TLS configuration could not be built (feature `tls`).
    Tls(String),
    /// The OTLP exporter refused its configuration (for example an unparsable endpoint).
    Exporter(opentelemetry_otlp::ExporterBuildError),
    /// The background thread that runs exports could not be started.
    Runtime(std::io::Error),
    /// Flushing a signal failed, for example because the endpoint is unreachable.
    Flush {
        /// `"traces"`, `"metrics"` or `"logs"`.
        signal: &'static str,
        /// The SDK's error.
        source: OTelSdkError,
    },
    /// Shutting a signal's pipeline down failed (its last export may be lost).
    Shutdown {
        /// `"traces"`, `"metrics"` or `"logs"`.
        signal: &'static str,
        /// The SDK's error.
        source: OTelSdkError,
    },
    /// Flushing or shutting down did not finish within its bound; the export goes on in the
    /// background until the exporter's own timeout and may be lost.
    Timeout {
        /// `"flush"` or `"shutdown"`.
        operation: &'static str,
        /// The bound that passed.
        after: std::time::Duration,
    },
    /// An endpoint is not a URL this crate can export to.
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong and how to write it.
        reason: &'static str,
    },
    /// Braintrust needs an API key: set `BRAINTRUST_API_KEY` or call `api_key`.
    MissingApiKey,
    /// Braintrust needs a parent to file spans under: set `BRAINTRUST_PARENT` or call `parent`.
    MissingParent,
    /// A Braintrust parent is not in one of the accepted forms.
    MalformedParent(String),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidEnv {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} is not valid: expected {expected}"),
            Self::InvalidHeader { name } => {
                write!(f, "header {name:?} has an invalid name or value")
            }
            Self::TlsNotEnabled { endpoint } => write!(
                f,
                "endpoint {endpoint} needs TLS: enable the `tls` feature of mistral-otel-export"
            ),
            Self::Tls(e) => write!(f, "could not set up TLS: {e}"),
            Self::Exporter(e) => write!(f, "could not build the OTLP exporter: {e}"),
            Self::Runtime(e) => write!(f, "could not start the export thread: {e}"),
            Self::Flush { signal, source } => write!(f, "flushing {signal} failed: {source}"),
            Self::Shutdown { signal, source } => {
                write!(f, "shutting down {signal} export failed: {source}")
            }
            Self::Timeout { operation, after } => write!(
                f,
                "{operation} did not finish within {after:?} (the collector does not answer); \
                 what it was exporting may be lost"
            ),
            Self::InvalidEndpoint { endpoint, reason } => {
                write!(f, "endpoint {endpoint:?} cannot be used: {reason}")
            }
            Self::MissingApiKey => f.write_str(
                "no Braintrust API key: set BRAINTRUST_API_KEY or call BraintrustConfig::api_key",
            ),
            Self::MissingParent => f.write_str(
                "no Braintrust parent: set BRAINTRUST_PARENT or call BraintrustConfig::parent \
                 (project_id:<id>, project_name:<name> or experiment_id:<id>)",
            ),
            Self::MalformedParent(parent) => write!(
                f,
                "malformed Braintrust parent {parent:?}: expected project_id:<id>, \
                 project_name:<name> or experiment_id:<id>"
            ),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Exporter(e) => Some(e),
            Self::Runtime(e) => Some(e),
            Self::Flush { source, .. } | Self::Shutdown { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<opentelemetry_otlp::ExporterBuildError> for ExportError {
    fn from(e: opentelemetry_otlp::ExporterBuildError) -> Self {
        Self::Exporter(e)
    }
}
