//! Test support for the `mistral-otel` workspace (not published).
//!
//! * [`Recorder`]: an in-memory tracer and meter provider pair; spans are exported the
//!   moment they end, so a test can check *when* the instrumentation ended them.
//! * [`spans`]: reading attributes, finding spans, checking that children stay inside
//!   their parents.
//! * [`golden`]: a span tree rendered as text (ids and times normalised), compared with
//!   a file under `tests/golden/` and rewritten with `UPDATE_GOLDEN=1`.
//! * [`metrics`]: histogram points as plain values.
//! * [`mock`]: fixture cases sent through an instrumented client, read while the response
//!   is still held.
#![deny(missing_docs)]
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

pub mod golden;
pub mod metrics;
pub mod mock;
mod recorder;
pub mod spans;

use std::path::PathBuf;

pub use recorder::{CountingProcessor, Recorder, SpanCounter};
pub use spans::*;

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// A fixture set under the workspace's `tests/fixtures/` (`mistral`, `beta_surface`, ...).
pub fn fixtures_dir(set: &str) -> PathBuf {
    workspace_dir().join("tests/fixtures").join(set)
}
