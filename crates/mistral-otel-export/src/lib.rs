//! One call sets up OpenTelemetry export over OTLP — gRPC or HTTP/protobuf, configured
//! from code first, then the standard `OTEL_*` variables, then the SDK defaults — with
//! presets for [Braintrust](braintrust) and [Jaeger](jaeger).
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

pub use config::{DEFAULT_FLUSH_TIMEOUT, OtlpConfig, Protocol};
pub use error::ExportError;
pub use telemetry::Telemetry;
