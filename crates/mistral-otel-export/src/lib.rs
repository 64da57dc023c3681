//! One call sets up OpenTelemetry export over OTLP — gRPC or HTTP/protobuf, configured
//! from code first, then the standard `OTEL_*` variables, then the SDK defaults — with
//! presets for [Braintrust](braintrust) and [Jaeger](jaeger), and a [console] exporter for
//! development.
//!
//! ```
//! use mistral_otel_export::{OtlpConfig, Protocol};
//! use opentelemetry::trace::{Tracer, TracerProvider};
//!
//! # fn main() -> Result<(), mistral_otel_export::ExportError> {
//! let telemetry = OtlpConfig::new()
//!     .protocol(Protocol::HttpProtobuf)
//!     .endpoint("http://127.0.0.1:4318")
//!     .header("x-tenant", "acme")
//!     .service_name("support-agent")
//!     .metrics(false)
//!     .build()?;
//!
//! let tracer = telemetry.tracer_provider().tracer("mistral-otel");
//! tracer.in_span("invoke_agent support", |_cx| { /* call Mistral */ });
//! // flush or shut down before exit; without a collector listening, they report the error
//! let _ = telemetry.shutdown();
//! # Ok(())
//! # }
//! ```
//!
//! [`OtlpConfig::install`] does the same and also sets the global tracer provider, meter
//! provider and propagator. Exports run on a background thread owned by the pipelines, so
//! neither a Tokio runtime nor a particular runtime flavour is required, and an unreachable
//! endpoint only ever shows up as an error from [`Telemetry::force_flush`] or
//! [`Telemetry::shutdown`] (and lost data), never as a panic.
//!
//! # Choosing exporters
//!
//! Each signal goes to OTLP (the default), to the [console] or nowhere:
//! [`OtlpConfig::traces_exporter`] and [`OtlpConfig::metrics_exporter`] in code, or
//! `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` (`otlp`, `console`, `none`) read by
//! [`OtlpConfig::from_env`]. Metrics set to `none` (or `MISTRAL_OTEL_METRICS=false`) build
//! no meter provider at all, so a traces-only backend never receives a metrics export.
//! `OTEL_SDK_DISABLED=true` turns everything off: nothing is exported and `install` sets
//! no global.
//!
//! ```
//! use mistral_otel_export::{OtlpConfig, SignalExporter};
//! use opentelemetry::trace::{Tracer, TracerProvider};
//!
//! # fn main() -> Result<(), mistral_otel_export::ExportError> {
//! // trace trees on stderr, no collector needed
//! let telemetry = OtlpConfig::from_env()
//!     .traces_exporter(SignalExporter::Console)
//!     .metrics_exporter(SignalExporter::None)
//!     .build()?;
//! let tracer = telemetry.tracer_provider().tracer("mistral-otel");
//! tracer.in_span("invoke_agent support", |_cx| { /* printed when it ends */ });
//! telemetry.shutdown()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! * `tls` (default): `https://` endpoints (Braintrust needs it), with rustls, the ring
//!   provider and the webpki (Mozilla) roots, for both OTLP/HTTP and gRPC. The HTTP client
//!   is this crate's own hyper client, so no process-wide rustls provider is installed and
//!   the application's reqwest clients are unaffected. Without the feature an `https://`
//!   endpoint set in code is refused at build with [`ExportError::TlsNotEnabled`].
#![deny(missing_docs)]

pub mod braintrust;
mod config;
pub mod console;
mod endpoint;
mod env;
mod error;
mod export_runtime;
mod http_client;
pub mod jaeger;
mod pipeline;
mod telemetry;
#[cfg(feature = "tls")]
mod tls;

pub use config::{DEFAULT_FLUSH_TIMEOUT, OtlpConfig, Protocol, SignalExporter};
pub use error::ExportError;
pub use telemetry::Telemetry;
