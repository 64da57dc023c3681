//! Why the receiver could not start.

use std::fmt;

/// The receiver could not start.
#[derive(Debug)]
pub enum ReceiverError {
    /// `start` was awaited outside a Tokio runtime, where the servers cannot be spawned.
    NoTokioRuntime,
    /// Binding a listener on `127.0.0.1:0` or reading its address failed.
    Bind(std::io::Error),
}

impl fmt::Display for ReceiverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoTokioRuntime => {
                f.write_str("the OTLP receiver must be started inside a Tokio runtime")
            }
            Self::Bind(e) => write!(f, "could not bind the OTLP receiver on 127.0.0.1: {e}"),
        }
    }
}

impl std::error::Error for ReceiverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoTokioRuntime => None,
            Self::Bind(e) => Some(e),
        }
    }
}
