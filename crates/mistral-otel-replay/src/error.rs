//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// Why a replay could not run (a failing case is not an error: see
/// [`CaseReplay::failure`](crate::CaseReplay::failure)).
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The command line is wrong; the message says how.
    Usage(String),
    /// The fixtures could not be loaded or the mock server could not start.
    Mock(mistral_mock::MockError),
    /// `--only NAME` names no case of the manifest.
    UnknownCase(String),
    /// The OTLP exporter asked for by `OTEL_EXPORTER_OTLP_*` could not be set up.
    Export(String),
    /// Writing the OTLP JSON file failed.
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serialising spans to OTLP JSON failed.
    Json(serde_json::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => f.write_str(message),
            Self::Mock(err) => write!(f, "mock server: {err}"),
            Self::UnknownCase(name) => write!(f, "no case named `{name}` in the manifest"),
            Self::Export(message) => write!(f, "OTLP export setup: {message}"),
            Self::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Json(err) => write!(f, "cannot serialise spans to OTLP JSON: {err}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Mock(err) => Some(err),
            Self::Write { source, .. } => Some(source),
            Self::Json(err) => Some(err),
            Self::Usage(_) | Self::UnknownCase(_) | Self::Export(_) => None,
        }
    }
}

impl From<mistral_mock::MockError> for ReplayError {
    fn from(err: mistral_mock::MockError) -> Self {
        Self::Mock(err)
    }
}
