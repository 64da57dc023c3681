//! Replay recorded Mistral traffic through the instrumented client and look at the traces.
//!
//! The `replay` command starts a [`mistral_mock::MockServer`] on a fixtures directory,
//! sends every case through a `reqwest_middleware` client carrying
//! [`mistral_otel::MistralTracing`], each under a `replay {case}` parent span, and
//! prints the resulting span trees:
//!
//! ```text
//! replay DIR [--otlp-json FILE] [--chunk-bytes N] [--chunk-delay-ms MS] [--capture-content] [--only NAME]
//! cargo run -p mistral-otel-replay --bin replay -- tests/fixtures/mistral --chunk-bytes 7
//! ```
//!
//! * `--otlp-json FILE` also writes one OTLP JSON line (an `ExportTraceServiceRequest`)
//!   per case, the format OpenTelemetry tools import.
//! * `--chunk-bytes` / `--chunk-delay-ms` make the mock cut bodies into small, slow
//!   pieces, as a real network would.
//! * With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set,
//!   spans are also exported over OTLP through [`mistral_otel_export`], e.g. to Jaeger.
//! * The fixtures' `<MISTRAL_API_KEY>` placeholder is sent as [`FAKE_API_KEY`].
//!
//! The command exits non-zero when a case gets no response, a broken body, or a status
//! or body other than the recorded one (recorded error statuses are expected).
//!
//! The same run from code:
//!
//! ```
//! use mistral_otel_replay::{ReplayOptions, otlp_json_line, render_tree, run};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut options = ReplayOptions::new(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/../../tests/fixtures/mistral"
//! ));
//! options.only = Some("start_stream_tools".to_owned());
//! let report = run(options).await?;
//! assert!(report.is_success());
//!
//! let tree = render_tree(&report.spans());
//! assert!(tree.contains("replay start_stream_tools  INTERNAL"));
//! let line = otlp_json_line(&report.spans(), &report.resource)?;
//! assert!(line.starts_with(r#"{"resourceSpans":"#));
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod error;
mod options;
mod otlp_json;
mod pipeline;
mod run;

pub use error::ReplayError;
pub use mistral_otel_export::console::render_tree;
pub use options::{Command, ReplayOptions, USAGE, parse_args};
pub use otlp_json::otlp_json_line;
pub use run::{CaseReplay, FAKE_API_KEY, ReplayReport, run};
