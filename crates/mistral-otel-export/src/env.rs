//! The environment, read in one place and through one lookup: [`OtlpConfig::from_env`]
//! reads the process environment, [`OtlpConfig::from_env_with`] any lookup, and every
//! later read this crate makes (`OTEL_SDK_DISABLED` at build, the effective endpoint for
//! TLS roots, the export timeout of the HTTP client) goes through the same lookup. The
//! OpenTelemetry SDK also reads its standard `OTEL_EXPORTER_OTLP_*` variables from the
//! process environment at build time.
//!
//! `OTEL_SDK_DISABLED` is read at build rather than by `from_env`: it is the operator's
//! off switch, so it applies to every configuration, presets included.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{OtlpConfig, Protocol, SignalExporter};

pub(crate) const PROTOCOL_VAR: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub(crate) const TRACES_PROTOCOL_VAR: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
pub(crate) const METRICS_PROTOCOL_VAR: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
pub(crate) const LOGS_PROTOCOL_VAR: &str = "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL";
pub(crate) const METRICS_SWITCH_VAR: &str = "MISTRAL_OTEL_METRICS";
pub(crate) const TRACES_EXPORTER_VAR: &str = "OTEL_TRACES_EXPORTER";
pub(crate) const METRICS_EXPORTER_VAR: &str = "OTEL_METRICS_EXPORTER";
pub(crate) const LOGS_EXPORTER_VAR: &str = "OTEL_LOGS_EXPORTER";
pub(crate) const SDK_DISABLED_VAR: &str = "OTEL_SDK_DISABLED";

const PROTOCOL_EXPECTED: &str = "grpc or http/protobuf (http/json is not supported)";
const EXPORTER_EXPECTED: &str = "one of otlp, console or none";

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// A variable lookup: the process environment, or one a test or application provides.
#[derive(Clone)]
pub(crate) struct Env(Arc<Lookup>);

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Env")
    }
}

impl Env {
    pub(crate) fn process() -> Self {
        Self(Arc::new(|name| std::env::var(name).ok()))
    }

    pub(crate) fn with(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(lookup))
    }

    /// A variable's value; empty counts as unset.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A duration in milliseconds (the `OTEL_*_TIMEOUT` form).
    pub(crate) fn millis(&self, name: &str) -> Option<Duration> {
        self.get(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_millis)
    }
}

/// An environment value that did not parse, reported by `build` unless code overrides it.
#[derive(Debug, Clone)]
pub(crate) struct InvalidEnv {
    pub(crate) var: &'static str,
    pub(crate) value: String,
    pub(crate) expected: &'static str,
}

fn protocol(value: &str) -> Option<Protocol> {
    match value.trim() {
        "grpc" => Some(Protocol::Grpc),
        "http/protobuf" => Some(Protocol::HttpProtobuf),
        _ => None,
    }
}

fn exporter(value: &str) -> Option<SignalExporter> {
    match value.trim().to_ascii_lowercase().as_str() {
        "otlp" => Some(SignalExporter::Otlp),
        "console" => Some(SignalExporter::Console),
        "none" => Some(SignalExporter::None),
        _ => None,
    }
}

/// `OTEL_SDK_DISABLED=true`, in any case. Any other value leaves the SDK on, as the
/// specification asks: an off switch that fails the build would defeat its purpose.
pub(crate) fn sdk_disabled(env: &Env) -> bool {
    env.get(SDK_DISABLED_VAR)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Apply what the environment says to a configuration that code has not touched yet.
pub(crate) fn resolve(config: &mut OtlpConfig) {
    let env = config.env.clone();
    let general = env.get(PROTOCOL_VAR).map(|v| (PROTOCOL_VAR, v));
    let traces = env
        .get(TRACES_PROTOCOL_VAR)
        .map(|v| (TRACES_PROTOCOL_VAR, v))
        .or_else(|| general.clone());
    let metrics = env
        .get(METRICS_PROTOCOL_VAR)
        .map(|v| (METRICS_PROTOCOL_VAR, v))
        .or_else(|| general.clone());
    let logs = env
        .get(LOGS_PROTOCOL_VAR)
        .map(|v| (LOGS_PROTOCOL_VAR, v))
        .or(general);
    if let Some((var, value)) = traces {
        match protocol(&value) {
            Some(p) => config.traces_protocol = p,
            None => config.reject_env(var, value, PROTOCOL_EXPECTED),
        }
    }
    if let Some((var, value)) = metrics {
        match protocol(&value) {
            Some(p) => config.metrics_protocol = p,
            None => config.reject_env(var, value, PROTOCOL_EXPECTED),
        }
    }
    if let Some((var, value)) = logs {
        match protocol(&value) {
            Some(p) => config.logs_protocol = p,
            None => config.reject_env(var, value, PROTOCOL_EXPECTED),
        }
    }
    if let Some(value) = env.get(TRACES_EXPORTER_VAR) {
        match exporter(&value) {
            Some(e) => config.traces_exporter = e,
            None => config.reject_env(TRACES_EXPORTER_VAR, value, EXPORTER_EXPECTED),
        }
    }
    if let Some(value) = env.get(METRICS_EXPORTER_VAR) {
        match exporter(&value) {
            Some(e) => config.metrics_exporter = e,
            None => config.reject_env(METRICS_EXPORTER_VAR, value, EXPORTER_EXPECTED),
        }
    }
    if let Some(value) = env.get(LOGS_EXPORTER_VAR) {
        match exporter(&value) {
            Some(e) => config.logs_exporter = e,
            None => config.reject_env(LOGS_EXPORTER_VAR, value, EXPORTER_EXPECTED),
        }
    }
    if let Some(value) = env.get(METRICS_SWITCH_VAR) {
        match value.trim().to_ascii_lowercase().as_str() {
            "false" | "0" | "off" | "no" => config.metrics = false,
            "true" | "1" | "on" | "yes" => config.metrics = true,
            _ => config.reject_env(METRICS_SWITCH_VAR, value, "true or false"),
        }
    }
}
