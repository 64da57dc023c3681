//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// Why fixtures could not be loaded or the server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum MockError {
    /// A file (the manifest or a file a case refers to) could not be read.
    Read {
        /// The case that refers to the file (`None` for the manifest itself).
        case: Option<String>,
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON file (the manifest or an expected aggregate) is not valid JSON of the right shape.
    Json {
        /// The file that failed to parse.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// A case cannot be served as written (bad status code, header name or value).
    InvalidCase {
        /// The case name.
        case: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The listening socket could not be bound.
    Bind(std::io::Error),
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read {
                case: Some(case),
                path,
                source,
            } => write!(
                f,
                "case `{case}`: cannot read fixture file {}: {source}",
                path.display()
            ),
            Self::Read {
                case: None,
                path,
                source,
            } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Json { path, source } => {
                write!(f, "invalid JSON in {}: {source}", path.display())
            }
            Self::InvalidCase { case, reason } => write!(f, "case `{case}`: {reason}"),
            Self::Bind(source) => write!(f, "cannot bind the mock server: {source}"),
        }
    }
}

impl std::error::Error for MockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Bind(source) => Some(source),
            Self::Json { source, .. } => Some(source),
            Self::InvalidCase { .. } => None,
        }
    }
}
