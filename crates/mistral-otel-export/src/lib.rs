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
//! provider and propagator (the API has no global logger provider: see [Logs](#logs)).
//! Exports run on background threads owned by the pipelines, so
//! neither a Tokio runtime nor a particular runtime flavour is required, and an unreachable
//! endpoint only ever shows up as an error from [`Telemetry::force_flush`] or
//! [`Telemetry::shutdown`] (and lost data), never as a panic.
//!
//! # Choosing exporters
//!
//! Each signal goes to OTLP (the default), to the [console] or nowhere:
//! [`OtlpConfig::traces_exporter`], [`OtlpConfig::metrics_exporter`] and
//! [`OtlpConfig::logs_exporter`] in code, or `OTEL_TRACES_EXPORTER` /
//! `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` (`otlp`, `console`, `none`) read by
//! [`OtlpConfig::from_env`]. Metrics set to `none` (or `MISTRAL_OTEL_METRICS=false`) build
//! no meter provider at all, and logs set to `none` no logger provider, so a traces-only
//! backend never receives a metrics or logs export. `OTEL_SDK_DISABLED=true` turns
//! everything off: nothing is exported and `install` sets no global.
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
//! # Logs
//!
//! The middleware emits its GenAI events (`gen_ai.client.inference.operation.details`,
//! with structured content as map and list attributes) as OpenTelemetry log records.
//! [`Telemetry::logger_provider`] is an SDK logger provider exporting them over OTLP (the
//! same endpoint, headers and protocol handling as traces, with the `..._LOGS_...`
//! variables for the logs signal alone, and `/v1/logs` over HTTP) through the SDK's
//! thread-based batch log processor, so logs need no runtime either; or printing one line
//! per record with `OTEL_LOGS_EXPORTER=console`. Flush and shutdown cover logs too.
//!
//! **Default: on, over OTLP**, as in every OpenTelemetry SDK. Backends that take traces
//! only fail every logs export, so the [Jaeger](jaeger) and [Braintrust](braintrust)
//! presets turn logs off, and for another traces-only backend (Arize Phoenix, Zipkin,
//! ...) set `OTEL_LOGS_EXPORTER=none`. See [`OtlpConfig`#logs](OtlpConfig#logs).
//!
//! opentelemetry 0.33 has no global logger provider (`opentelemetry::global` has tracer,
//! meter and propagator setters only), so `install` cannot make the logger provider
//! global: hand it to the middleware.
//!
//! ```
//! use mistral_otel_export::{OtlpConfig, SignalExporter};
//! use opentelemetry::logs::{LogRecord, Logger, LoggerProvider, Severity};
//!
//! # fn main() -> Result<(), mistral_otel_export::ExportError> {
//! let telemetry = OtlpConfig::new()
//!     .traces_exporter(SignalExporter::None)
//!     .metrics_exporter(SignalExporter::None)
//!     .logs_exporter(SignalExporter::Console)
//!     .build()?;
//! // what the middleware does with the provider it was given
//! let logger = telemetry.logger_provider().expect("logs are on").logger("mistral-otel");
//! let mut record = logger.create_log_record();
//! record.set_event_name("gen_ai.client.inference.operation.details");
//! record.set_severity_number(Severity::Info);
//! record.add_attribute("gen_ai.operation.name", "chat");
//! logger.emit(record); // one line on stderr
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
