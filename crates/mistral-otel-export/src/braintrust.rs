//! Export to Braintrust: OTLP/HTTP (protobuf) to `{base}/otel/v1/traces` with
//! `Authorization: Bearer <key>` and `x-bt-parent: <parent>`. Braintrust takes traces only,
//! over HTTP only, so metrics and logs are never sent there: the preset builds no meter
//! provider and no logger provider (Braintrust reads GenAI content from span attributes,
//! not from log events).
//!
//! | setting | code | environment | default |
//! |---|---|---|---|
//! | API key | [`BraintrustConfig::api_key`] | `BRAINTRUST_API_KEY` | none: [`ExportError::MissingApiKey`] |
//! | parent | [`BraintrustConfig::parent`] | `BRAINTRUST_PARENT` | none: [`ExportError::MissingParent`] |
//! | base URL | [`BraintrustConfig::base_url`] | `BRAINTRUST_API_URL` | `https://api.braintrust.dev` |
//!
//! Use `https://api-eu.braintrust.dev` for the EU data plane, or a self-hosted API URL.
//! The `https` endpoints need this crate's `tls` feature; the key is never sent over plain
//! `http://` except to a loopback address. `OTEL_EXPORTER_OTLP_HEADERS`, if set, is still
//! applied by the SDK and would override these headers.
//!
//! [`BraintrustConfig::into_otlp`] gives an [`OtlpConfig`] to configure further (service
//! name, batch delay, timeouts) and build. Braintrust's row rendering is the
//! middleware's job: add `mistral_otel::braintrust::Braintrust` as its decorator.
//!
//! ```no_run
//! use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
//!
//! # fn main() -> Result<(), mistral_otel_export::ExportError> {
//! let telemetry = BraintrustConfig::from_env()   // BRAINTRUST_API_KEY, ...
//!     .parent(Parent::ProjectName("support-agent".into()))
//!     .into_otlp()?
//!     .service_name("support-agent")
//!     .install()?;
//! // ... run the agent ...
//! telemetry.shutdown()?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

use crate::config::{OtlpConfig, Protocol, SignalExporter};
use crate::endpoint::{is_https, is_loopback};
use crate::error::ExportError;

/// Braintrust's US API.
pub const DEFAULT_BASE_URL: &str = "https://api.braintrust.dev";
/// Environment variable holding the API key.
pub const API_KEY_VAR: &str = "BRAINTRUST_API_KEY";
/// Environment variable holding the parent (`project_name:...` etc.).
pub const PARENT_VAR: &str = "BRAINTRUST_PARENT";
/// Environment variable holding the base URL.
pub const API_URL_VAR: &str = "BRAINTRUST_API_URL";

/// Where Braintrust files the spans: the `x-bt-parent` header.
///
/// ```
/// use mistral_otel_export::braintrust::Parent;
///
/// let parent: Parent = "project_name:support agent".parse()?;
/// assert_eq!(parent, Parent::ProjectName("support agent".into()));
/// assert_eq!(parent.to_string(), "project_name:support agent");
/// assert!("support agent".parse::<Parent>().is_err());
/// # Ok::<(), mistral_otel_export::ExportError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parent {
    /// `project_id:<id>`.
    ProjectId(String),
    /// `project_name:<name>`.
    ProjectName(String),
    /// `experiment_id:<id>`.
    ExperimentId(String),
}

impl FromStr for Parent {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ExportError::MalformedParent(s.to_owned());
        let (kind, value) = s.split_once(':').ok_or_else(malformed)?;
        if value.trim().is_empty() {
            return Err(malformed());
        }
        let value = value.to_owned();
        match kind.trim() {
            "project_id" => Ok(Self::ProjectId(value)),
            "project_name" => Ok(Self::ProjectName(value)),
            "experiment_id" => Ok(Self::ExperimentId(value)),
            _ => Err(malformed()),
        }
    }
}

impl fmt::Display for Parent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProjectId(id) => write!(f, "project_id:{id}"),
            Self::ProjectName(name) => write!(f, "project_name:{name}"),
            Self::ExperimentId(id) => write!(f, "experiment_id:{id}"),
        }
    }
}

/// Braintrust export settings. `Debug` never shows the API key.
#[derive(Clone)]
pub struct BraintrustConfig {
    api_key: Option<String>,
    parent: Option<Parent>,
    /// A `BRAINTRUST_PARENT` that did not parse, reported at build unless code sets one.
    malformed_parent: Option<String>,
    base_url: String,
}

impl Default for BraintrustConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BraintrustConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("parent", &self.parent)
            .field("malformed_parent", &self.malformed_parent)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl BraintrustConfig {
    /// Nothing set but the default base URL; no environment read.
    pub fn new() -> Self {
        Self {
            api_key: None,
            parent: None,
            malformed_parent: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
        }
    }

    /// Key, parent and base URL from `BRAINTRUST_API_KEY`, `BRAINTRUST_PARENT` and
    /// `BRAINTRUST_API_URL`; code set afterwards wins.
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`BraintrustConfig::from_env`] reading variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let lookup = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Self::new();
        config.api_key = lookup(API_KEY_VAR);
        if let Some(url) = lookup(API_URL_VAR) {
            config.base_url = url;
        }
        if let Some(raw) = lookup(PARENT_VAR) {
            match raw.parse() {
                Ok(parent) => config.parent = Some(parent),
                Err(_) => config.malformed_parent = Some(raw),
            }
        }
        config
    }

    /// The API key, sent as `Authorization: Bearer <key>`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The parent the spans are filed under.
    pub fn parent(mut self, parent: Parent) -> Self {
        self.parent = Some(parent);
        self.malformed_parent = None;
        self
    }

    /// The API base URL, e.g. `https://api-eu.braintrust.dev`; `/otel/v1/traces` is appended.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Where spans will be sent: `{base}/otel/v1/traces`.
    pub fn traces_endpoint(&self) -> String {
        format!("{}/otel/v1/traces", self.base_url.trim_end_matches('/'))
    }

    /// The [`OtlpConfig`] that exports to Braintrust (OTLP/HTTP, traces only: metrics and
    /// logs off), to configure
    /// further and build. Fails on a missing key, a missing or malformed parent, or a key
    /// that would travel over plain `http://` to a host that is not loopback.
    pub fn into_otlp(self) -> Result<OtlpConfig, ExportError> {
        let api_key = self
            .api_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
            .ok_or(ExportError::MissingApiKey)?;
        let parent = match (&self.parent, &self.malformed_parent) {
            (Some(parent), _) => parent,
            (None, Some(raw)) => return Err(ExportError::MalformedParent(raw.clone())),
            (None, None) => return Err(ExportError::MissingParent),
        };
        let endpoint = self.traces_endpoint();
        if !is_https(&endpoint) && !is_loopback(&endpoint) {
            return Err(ExportError::InvalidEndpoint {
                endpoint,
                reason: "the Braintrust API key would travel in clear text: use https:// \
                         (plain http:// only to a loopback address)",
            });
        }
        Ok(OtlpConfig::new()
            .protocol(Protocol::HttpProtobuf)
            .traces_endpoint(endpoint)
            .header("authorization", format!("Bearer {api_key}"))
            .header("x-bt-parent", parent.to_string())
            .metrics(false)
            .logs(false)
            .logs_exporter(SignalExporter::None))
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn parent_parses_all_three_forms_and_round_trips() {
        for text in [
            "project_id:p-1",
            "project_name:my: project",
            "experiment_id:e-9",
        ] {
            let parent: Parent = text.parse().unwrap();
            assert_eq!(parent.to_string(), text);
        }
    }

    #[test]
    fn parent_without_kind_or_value_is_malformed_and_the_message_lists_valid_forms() {
        for text in [
            "my-project",
            "project_id:",
            "project:abc",
            "project_name:  ",
        ] {
            let err = text.parse::<Parent>().unwrap_err();
            assert!(matches!(&err, ExportError::MalformedParent(p) if p == text));
            let message = err.to_string();
            assert!(message.contains("project_id:<id>"), "{message}");
            assert!(message.contains("project_name:<name>"), "{message}");
            assert!(message.contains("experiment_id:<id>"), "{message}");
        }
    }

    #[test]
    fn missing_key_is_reported_before_the_parent() {
        let err = BraintrustConfig::new().into_otlp().unwrap_err();
        assert!(matches!(err, ExportError::MissingApiKey));
    }

    #[test]
    fn missing_parent_is_reported() {
        let err = BraintrustConfig::new()
            .api_key("sk")
            .into_otlp()
            .unwrap_err();
        assert!(matches!(err, ExportError::MissingParent));
    }

    #[test]
    fn malformed_env_parent_is_reported_unless_code_sets_one() {
        let env = |name: &str| match name {
            API_KEY_VAR => Some("sk".to_owned()),
            PARENT_VAR => Some("my-project".to_owned()),
            _ => None,
        };
        let err = BraintrustConfig::from_env_with(env)
            .into_otlp()
            .unwrap_err();
        assert!(matches!(err, ExportError::MalformedParent(p) if p == "my-project"));
        assert!(
            BraintrustConfig::from_env_with(env)
                .parent(Parent::ProjectId("p".into()))
                .into_otlp()
                .is_ok()
        );
    }

    #[test]
    fn env_sets_key_parent_and_base_url() {
        let config = BraintrustConfig::from_env_with(|name| match name {
            API_KEY_VAR => Some("sk-env".to_owned()),
            PARENT_VAR => Some("experiment_id:e1".to_owned()),
            API_URL_VAR => Some("https://api-eu.braintrust.dev/".to_owned()),
            _ => None,
        });
        assert_eq!(
            config.traces_endpoint(),
            "https://api-eu.braintrust.dev/otel/v1/traces"
        );
        let otlp = config.into_otlp().unwrap();
        assert_eq!(otlp.traces_protocol(), Protocol::HttpProtobuf);
        assert!(!otlp.metrics_enabled());
        assert!(!otlp.logs_enabled());
        assert!(
            otlp.headers
                .contains(&("authorization".into(), "Bearer sk-env".into()))
        );
        assert!(
            otlp.headers
                .contains(&("x-bt-parent".into(), "experiment_id:e1".into()))
        );
    }

    #[test]
    fn debug_hides_the_api_key() {
        let shown = format!("{:?}", BraintrustConfig::new().api_key("sk-very-secret"));
        assert!(!shown.contains("sk-very-secret"));
        assert!(shown.contains("<redacted>"));
    }
}
