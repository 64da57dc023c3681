//! What to export where: code first, then the standard `OTEL_*` variables, then defaults.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use opentelemetry_sdk::trace::TracerProviderBuilder;

use crate::console::Output;
use crate::env::{
    self, Env, InvalidEnv, LOGS_EXPORTER_VAR, LOGS_PROTOCOL_VAR, METRICS_EXPORTER_VAR,
    METRICS_PROTOCOL_VAR, METRICS_SWITCH_VAR, PROTOCOL_VAR, TRACES_EXPORTER_VAR,
    TRACES_PROTOCOL_VAR,
};
use crate::error::ExportError;
use crate::telemetry::Telemetry;

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (tonic), default port 4317.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, default port 4318.
    HttpProtobuf,
}

impl Protocol {
    /// The name used by `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` or `http/protobuf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one signal goes: the values of `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`
/// and `OTEL_LOGS_EXPORTER`.
///
/// ```
/// use mistral_otel_export::{OtlpConfig, SignalExporter};
///
/// let config = OtlpConfig::from_env_with(|name| match name {
///     "OTEL_TRACES_EXPORTER" => Some("Console".to_owned()),
///     "OTEL_METRICS_EXPORTER" => Some("none".to_owned()),
///     _ => None,
/// });
/// assert_eq!(config.traces_exporter_kind(), SignalExporter::Console);
/// assert!(!config.metrics_enabled());
/// // code wins over the environment
/// let config = config.traces_exporter(SignalExporter::Otlp);
/// assert_eq!(config.traces_exporter_kind(), SignalExporter::Otlp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignalExporter {
    /// OTLP over the configured [`Protocol`] (the default).
    #[default]
    Otlp,
    /// The development console exporters of [`crate::console`]: trace trees, metric
    /// lines and one line per log record on standard error (or
    /// [`OtlpConfig::console_writer`]).
    Console,
    /// Nothing. For traces a tracer provider without this crate's exporter; for metrics
    /// and logs no meter or logger provider at all.
    None,
}

impl SignalExporter {
    /// The name used by `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` /
    /// `OTEL_LOGS_EXPORTER`: `otlp`, `console` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Otlp => "otlp",
            Self::Console => "console",
            Self::None => "none",
        }
    }
}

impl fmt::Display for SignalExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long flush and shutdown wait at most, by default.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Export settings, built up from code; [`OtlpConfig::build`] turns them into a
/// [`Telemetry`] (a tracer provider and, unless turned off, a meter provider and a logger
/// provider).
///
/// What code sets wins. What it leaves unset comes from the environment, partly read by
/// [`OtlpConfig::from_env`] (exporters, protocol, metrics switch), partly at build
/// (`OTEL_SDK_DISABLED`, through the same lookup) and partly by the OpenTelemetry SDK
/// itself at build time:
///
/// | variable | read by | meaning |
/// |---|---|---|
/// | `OTEL_SDK_DISABLED` | `build` | `true` (any case): nothing is exported and `install` sets no global, see [`OtlpConfig::build`]; other values are ignored |
/// | `OTEL_TRACES_EXPORTER` | `from_env` | `otlp` (default), `console` (trace trees on stderr) or `none`; see [`SignalExporter`] |
/// | `OTEL_METRICS_EXPORTER` | `from_env` | `otlp` (default), `console` or `none` (no meter provider) |
/// | `OTEL_LOGS_EXPORTER` | `from_env` | `otlp` (default), `console` (one line per log record on stderr) or `none` (no logger provider); see [Logs](#logs) |
/// | `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_PROTOCOL` | `from_env` | `grpc` or `http/protobuf` |
/// | `MISTRAL_OTEL_METRICS` | `from_env` | `false`/`0`/`off`/`no` turns metrics off, whatever the metrics exporter |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | SDK | base URL; HTTP appends `/v1/traces`, `/v1/metrics`, `/v1/logs` |
/// | `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT` | SDK | per-signal URL, used verbatim |
/// | `OTEL_EXPORTER_OTLP_HEADERS`, `..._{TRACES,METRICS,LOGS}_HEADERS` | SDK | `k=v,k2=v2`, URL-decoded; **these win over a header of the same name set in code** |
/// | `OTEL_EXPORTER_OTLP_TIMEOUT`, `..._{TRACES,METRICS,LOGS}_TIMEOUT`, `OTEL_EXPORTER_OTLP_COMPRESSION` | SDK | per-export timeout (ms), compression |
/// | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | SDK | resource; `service.name` defaults to `unknown_service:<executable>` |
/// | `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BLRP_SCHEDULE_DELAY`, `OTEL_METRIC_EXPORT_INTERVAL` | SDK | span and log batch delays, metric interval (ms) |
/// | `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | SDK | span queue and batch sizes (2048, 512); [`OtlpConfig::max_queue_size`] and [`OtlpConfig::max_export_batch_size`] set them in code |
///
/// Without an endpoint from code or environment the SDK defaults apply:
/// `http://localhost:4317` for gRPC, `http://localhost:4318/v1/{traces,metrics,logs}` for
/// HTTP.
///
/// Exporter names are trimmed and case-insensitive; an unknown one (`zipkin`, a list such
/// as `otlp,console`) makes `build` fail with [`ExportError::InvalidEnv`] naming the
/// variable, unless code chose that signal's exporter. Metrics are exported when the
/// switch is on *and* the metrics exporter is not `none`; logs likewise with
/// [`OtlpConfig::logs`] and the logs exporter.
///
/// # Logs
///
/// GenAI events (`gen_ai.client.inference.operation.details` and the like) are log
/// records of the OpenTelemetry Logs API. The logs exporter defaults to `otlp`, as in
/// every OpenTelemetry SDK, so a collector that takes all three signals gets them with no
/// setting. Backends that take traces only refuse each logs export (Jaeger, Arize
/// Phoenix: `404`/`405` over HTTP, `UNIMPLEMENTED` over gRPC), so:
///
/// * the [Jaeger](crate::jaeger) and [Braintrust](crate::braintrust) presets turn logs off
///   (Jaeger stores no logs; Braintrust reads GenAI content from span attributes);
/// * for any other traces-only backend set `OTEL_LOGS_EXPORTER=none` (or
///   `.logs_exporter(SignalExporter::None)`): no logger provider is built, and nothing is
///   ever sent to `/v1/logs`.
///
/// A log record is sent only when something emits one through
/// [`Telemetry::logger_provider`]: with no emitter (or content capture off, if that is
/// what gates the emitter) an `otlp` logs pipeline sends nothing at all.
///
/// `Debug` shows header names only, never their values.
///
/// ```no_run
/// use std::time::Duration;
/// use mistral_otel_export::{OtlpConfig, Protocol};
///
/// # fn main() -> Result<(), mistral_otel_export::ExportError> {
/// let telemetry = OtlpConfig::from_env()
///     .protocol(Protocol::HttpProtobuf)
///     .endpoint("http://collector:4318")
///     .header("x-tenant", "acme")
///     .service_name("support-agent")
///     .batch_delay(Duration::from_secs(1))
///     .install()?;
/// // ... run the application ...
/// telemetry.shutdown()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OtlpConfig {
    pub(crate) traces_protocol: Protocol,
    pub(crate) metrics_protocol: Protocol,
    pub(crate) logs_protocol: Protocol,
    pub(crate) endpoint: Option<String>,
    pub(crate) traces_endpoint: Option<String>,
    pub(crate) metrics_endpoint: Option<String>,
    pub(crate) logs_endpoint: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) service_name: Option<String>,
    pub(crate) metrics: bool,
    pub(crate) logs: bool,
    pub(crate) traces_exporter: SignalExporter,
    pub(crate) metrics_exporter: SignalExporter,
    pub(crate) logs_exporter: SignalExporter,
    /// Where the console exporters write; standard error when `None`.
    pub(crate) console_output: Option<Output>,
    pub(crate) batch_delay: Option<Duration>,
    pub(crate) span_queue: Option<usize>,
    pub(crate) span_batch: Option<usize>,
    pub(crate) metrics_interval: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retries: Option<usize>,
    pub(crate) flush_timeout: Duration,
    /// Every environment read of this crate goes through it.
    pub(crate) env: Env,
    pub(crate) invalid_env: Vec<InvalidEnv>,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, _)| (name.as_str(), "<redacted>"))
            .collect();
        f.debug_struct("OtlpConfig")
            .field("traces_protocol", &self.traces_protocol)
            .field("metrics_protocol", &self.metrics_protocol)
            .field("logs_protocol", &self.logs_protocol)
            .field("endpoint", &self.endpoint)
            .field("traces_endpoint", &self.traces_endpoint)
            .field("metrics_endpoint", &self.metrics_endpoint)
            .field("logs_endpoint", &self.logs_endpoint)
            .field("headers", &headers)
            .field("service_name", &self.service_name)
            .field("metrics", &self.metrics)
            .field("logs", &self.logs)
            .field("traces_exporter", &self.traces_exporter)
            .field("metrics_exporter", &self.metrics_exporter)
            .field("logs_exporter", &self.logs_exporter)
            .field("console_output", &self.console_output.is_some())
            .field("batch_delay", &self.batch_delay)
            .field("span_queue", &self.span_queue)
            .field("span_batch", &self.span_batch)
            .field("metrics_interval", &self.metrics_interval)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("flush_timeout", &self.flush_timeout)
            .finish()
    }
}

impl OtlpConfig {
    /// OTLP over gRPC for every signal, metrics and logs on, everything else left to the SDK (which
    /// still reads the endpoint, headers, timeout and service name from `OTEL_*` variables,
    /// see the table above). `OTEL_SDK_DISABLED` still applies at build.
    pub fn new() -> Self {
        Self {
            traces_protocol: Protocol::Grpc,
            metrics_protocol: Protocol::Grpc,
            logs_protocol: Protocol::Grpc,
            endpoint: None,
            traces_endpoint: None,
            metrics_endpoint: None,
            logs_endpoint: None,
            headers: Vec::new(),
            service_name: None,
            metrics: true,
            logs: true,
            traces_exporter: SignalExporter::Otlp,
            metrics_exporter: SignalExporter::Otlp,
            logs_exporter: SignalExporter::Otlp,
            console_output: None,
            batch_delay: None,
            span_queue: None,
            span_batch: None,
            metrics_interval: None,
            timeout: None,
            retries: None,
            flush_timeout: DEFAULT_FLUSH_TIMEOUT,
            env: Env::process(),
            invalid_env: Vec::new(),
        }
    }

    /// [`OtlpConfig::new`] plus the exporters (`OTEL_TRACES_EXPORTER`,
    /// `OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER`), the protocol
    /// (`OTEL_EXPORTER_OTLP_PROTOCOL`, per signal `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` /
    /// `..._METRICS_PROTOCOL` / `..._LOGS_PROTOCOL`) and the metrics switch
    /// (`MISTRAL_OTEL_METRICS`) from the process environment. A value that does not parse
    /// makes `build` fail, unless code sets that setting afterwards.
    pub fn from_env() -> Self {
        let mut config = Self::new();
        env::resolve(&mut config);
        config
    }

    /// [`OtlpConfig::from_env`] reading variables through `lookup` instead of the process
    /// environment: for tests, or configuration kept elsewhere. Every later read of this
    /// crate (`OTEL_SDK_DISABLED`, TLS roots, export timeout) uses `lookup` too.
    ///
    /// ```
    /// use mistral_otel_export::{OtlpConfig, Protocol};
    ///
    /// let config = OtlpConfig::from_env_with(|name| match name {
    ///     "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("http/protobuf".to_owned()),
    ///     "MISTRAL_OTEL_METRICS" => Some("false".to_owned()),
    ///     _ => None,
    /// });
    /// assert_eq!(config.traces_protocol(), Protocol::HttpProtobuf);
    /// assert!(!config.metrics_enabled());
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        let mut config = Self::new();
        config.env = Env::with(lookup);
        env::resolve(&mut config);
        config
    }

    pub(crate) fn reject_env(&mut self, var: &'static str, value: String, expected: &'static str) {
        if !self.invalid_env.iter().any(|e| e.var == var) {
            self.invalid_env.push(InvalidEnv {
                var,
                value,
                expected,
            });
        }
    }

    fn forget_env(&mut self, vars: &[&str]) {
        self.invalid_env.retain(|e| !vars.contains(&e.var));
    }

    /// The transport for traces, metrics and logs.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.traces_protocol = protocol;
        self.metrics_protocol = protocol;
        self.logs_protocol = protocol;
        self.forget_env(&[
            PROTOCOL_VAR,
            TRACES_PROTOCOL_VAR,
            METRICS_PROTOCOL_VAR,
            LOGS_PROTOCOL_VAR,
        ]);
        self
    }

    /// The base endpoint for every signal, e.g. `http://collector:4318`. Over HTTP
    /// `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended; gRPC uses it as is.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The traces endpoint, used verbatim (a full URL with path over HTTP).
    pub fn traces_endpoint(mut self, url: impl Into<String>) -> Self {
        self.traces_endpoint = Some(url.into());
        self
    }

    /// The metrics endpoint, used verbatim (a full URL with path over HTTP).
    pub fn metrics_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metrics_endpoint = Some(url.into());
        self
    }

    /// The logs endpoint, used verbatim (a full URL with path over HTTP); wins over
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`.
    pub fn logs_endpoint(mut self, url: impl Into<String>) -> Self {
        self.logs_endpoint = Some(url.into());
        self
    }

    /// A header sent with every export (gRPC metadata over gRPC). Names are
    /// case-insensitive; setting a name again replaces its value. Values must be visible
    /// ASCII; over HTTP the SDK percent-decodes them (`%20` becomes a space), as it does
    /// for `OTEL_EXPORTER_OTLP_HEADERS`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// The resource's `service.name`; without it `OTEL_SERVICE_NAME` applies, then
    /// `unknown_service:<executable>`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Whether a meter provider exporting metrics is built (default on). Off wins over
    /// [`OtlpConfig::metrics_exporter`]: metrics need both.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self.forget_env(&[METRICS_SWITCH_VAR]);
        self
    }

    /// Whether a logger provider exporting log records (GenAI events) is built (default
    /// on). Off wins over [`OtlpConfig::logs_exporter`]: logs need both. See
    /// [Logs](#logs) for which backends take them.
    pub fn logs(mut self, on: bool) -> Self {
        self.logs = on;
        self
    }

    /// Where spans go (default [`SignalExporter::Otlp`]); wins over `OTEL_TRACES_EXPORTER`.
    /// [`SignalExporter::None`] still builds a tracer provider, with only what
    /// [`OtlpConfig::build_with`] adds.
    pub fn traces_exporter(mut self, exporter: SignalExporter) -> Self {
        self.traces_exporter = exporter;
        self.forget_env(&[TRACES_EXPORTER_VAR]);
        self
    }

    /// Where metrics go (default [`SignalExporter::Otlp`]); wins over
    /// `OTEL_METRICS_EXPORTER`. [`SignalExporter::None`] builds no meter provider, so a
    /// traces-only backend never sees a metrics export.
    pub fn metrics_exporter(mut self, exporter: SignalExporter) -> Self {
        self.metrics_exporter = exporter;
        self.forget_env(&[METRICS_EXPORTER_VAR]);
        self
    }

    /// Where log records go (default [`SignalExporter::Otlp`]); wins over
    /// `OTEL_LOGS_EXPORTER`. [`SignalExporter::None`] builds no logger provider, so a
    /// traces-only backend never sees a logs export; [`SignalExporter::Console`] prints
    /// one line per record ([`ConsoleLogExporter`](crate::console::ConsoleLogExporter)).
    pub fn logs_exporter(mut self, exporter: SignalExporter) -> Self {
        self.logs_exporter = exporter;
        self.forget_env(&[LOGS_EXPORTER_VAR]);
        self
    }

    /// Where the console exporters write instead of standard error (a file, standard
    /// output). Spans, metrics and logs share it; each tree, report or batch of log lines
    /// is one `write_all`.
    ///
    /// ```
    /// use mistral_otel_export::{OtlpConfig, SignalExporter};
    ///
    /// # fn main() -> Result<(), mistral_otel_export::ExportError> {
    /// let telemetry = OtlpConfig::new()
    ///     .traces_exporter(SignalExporter::Console)
    ///     .metrics_exporter(SignalExporter::None)
    ///     .console_writer(std::io::stdout())
    ///     .build()?;
    /// # telemetry.shutdown()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn console_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.console_output = Some(Output::new(writer));
        self
    }

    /// How long finished spans and emitted log records wait to be batched before export
    /// (SDK defaults: 5 s for spans, `OTEL_BSP_SCHEDULE_DELAY`; 1 s for log records,
    /// `OTEL_BLRP_SCHEDULE_DELAY`).
    pub fn batch_delay(mut self, delay: Duration) -> Self {
        self.batch_delay = Some(delay);
        self
    }

    /// How many finished spans wait for export at most; spans that find the queue full are
    /// dropped (SDK default 2048, `OTEL_BSP_MAX_QUEUE_SIZE`). See
    /// [`max_export_batch_size`](Self::max_export_batch_size) for a service that ends
    /// spans faster than one export at a time carries them.
    pub fn max_queue_size(mut self, spans: usize) -> Self {
        self.span_queue = Some(spans);
        self
    }

    /// How many spans one export carries at most, and how many queued spans start an
    /// export before the batch delay (SDK default 512, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`;
    /// never more than the queue size). The processor runs one export at a time, so under
    /// sustained load the queue drains at this size per export round trip: the bench's
    /// load phase (64 tasks on 2 cores, ~27,000 spans/s) dropped about half its spans with
    /// the defaults and none with a queue of 8192 and batches of 2048. Mind the
    /// collector's largest message (4 MiB by default for OTLP/gRPC) when spans carry
    /// captured content.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), mistral_otel_export::ExportError> {
    /// let telemetry = mistral_otel_export::OtlpConfig::new()
    ///     .max_queue_size(8192)
    ///     .max_export_batch_size(2048)
    ///     .build()?;
    /// # telemetry.shutdown()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_export_batch_size(mut self, spans: usize) -> Self {
        self.span_batch = Some(spans);
        self
    }

    /// How often metrics are exported (SDK default 60 s).
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        self.metrics_interval = Some(interval);
        self
    }

    /// The most [`Telemetry::force_flush`] and [`Telemetry::shutdown`] wait, for traces,
    /// metrics and logs together (default [`DEFAULT_FLUSH_TIMEOUT`], 5 s). Past it they return
    /// [`ExportError::Timeout`]; the export goes on in the background until its own
    /// [`timeout`](Self::timeout).
    pub fn flush_timeout(mut self, bound: Duration) -> Self {
        self.flush_timeout = bound;
        self
    }

    /// The timeout of one export request (SDK default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times a failed export is retried with backoff (SDK default 3; 0 disables).
    pub fn retries(mut self, retries: usize) -> Self {
        self.retries = Some(retries);
        self
    }

    /// The transport traces will use.
    pub fn traces_protocol(&self) -> Protocol {
        self.traces_protocol
    }

    /// The transport metrics will use.
    pub fn metrics_protocol(&self) -> Protocol {
        self.metrics_protocol
    }

    /// The transport logs will use.
    pub fn logs_protocol(&self) -> Protocol {
        self.logs_protocol
    }

    /// Where spans will go (unless the SDK is disabled).
    pub fn traces_exporter_kind(&self) -> SignalExporter {
        self.traces_exporter
    }

    /// Where metrics will go while they are on (see [`OtlpConfig::metrics_enabled`]).
    pub fn metrics_exporter_kind(&self) -> SignalExporter {
        self.metrics_exporter
    }

    /// Whether metrics will be exported: the switch is on, the metrics exporter is not
    /// `none` and the SDK is not disabled.
    pub fn metrics_enabled(&self) -> bool {
        self.metrics_exporter_in_use() != SignalExporter::None && !self.sdk_disabled()
    }

    /// Where log records will go while logs are on (see [`OtlpConfig::logs_enabled`]).
    pub fn logs_exporter_kind(&self) -> SignalExporter {
        self.logs_exporter
    }

    /// Whether a logger provider will be built: the switch is on, the logs exporter is
    /// not `none` and the SDK is not disabled.
    pub fn logs_enabled(&self) -> bool {
        self.logs_exporter_in_use() != SignalExporter::None && !self.sdk_disabled()
    }

    /// Whether `OTEL_SDK_DISABLED` (read through this configuration's lookup) is `true`,
    /// in any case: then [`OtlpConfig::build`] exports nothing.
    pub fn sdk_disabled(&self) -> bool {
        env::sdk_disabled(&self.env)
    }

    /// The metrics exporter, or `None` when the switch is off.
    pub(crate) fn metrics_exporter_in_use(&self) -> SignalExporter {
        if self.metrics {
            self.metrics_exporter
        } else {
            SignalExporter::None
        }
    }

    /// The logs exporter, or `None` when the switch is off.
    pub(crate) fn logs_exporter_in_use(&self) -> SignalExporter {
        if self.logs {
            self.logs_exporter
        } else {
            SignalExporter::None
        }
    }

    /// Builds the providers without touching any global: use
    /// [`Telemetry::tracer_provider`] to get tracers and [`Telemetry::logger_provider`]
    /// for the middleware's events.
    ///
    /// OTLP exports run on a background thread of their own, so this works with or without
    /// a Tokio runtime, and flushing or dropping the providers from a single-threaded
    /// runtime cannot deadlock.
    ///
    /// With `OTEL_SDK_DISABLED=true` nothing is checked or exported: the tracer provider
    /// has no span processor and samples nothing (`customize` of
    /// [`OtlpConfig::build_with`] is not called), there is no meter provider and no
    /// logger provider, and [`OtlpConfig::install`] sets no global
    /// ([`Telemetry::is_disabled`] tells).
    pub fn build(self) -> Result<Telemetry, ExportError> {
        self.build_with(|builder| builder)
    }

    /// [`OtlpConfig::build`], letting `customize` add to the tracer provider (samplers,
    /// extra span processors, limits) after this crate's span processor (if any) and the
    /// resource are set.
    ///
    /// ```no_run
    /// use mistral_otel_export::OtlpConfig;
    /// use opentelemetry_sdk::trace::Sampler;
    ///
    /// # fn main() -> Result<(), mistral_otel_export::ExportError> {
    /// let telemetry = OtlpConfig::new()
    ///     .build_with(|b| b.with_sampler(Sampler::TraceIdRatioBased(0.1)))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_with(
        self,
        customize: impl FnOnce(TracerProviderBuilder) -> TracerProviderBuilder,
    ) -> Result<Telemetry, ExportError> {
        // an off switch must work even when the rest of the configuration is broken
        if self.sdk_disabled() {
            return Ok(crate::pipeline::disabled(&self));
        }
        if let Some(e) = self.invalid_env.first() {
            return Err(ExportError::InvalidEnv {
                var: e.var.to_owned(),
                value: e.value.clone(),
                expected: e.expected,
            });
        }
        crate::pipeline::build(&self, customize)
    }

    /// [`OtlpConfig::build`], then sets the global tracer provider, the global meter
    /// provider (when metrics are on) and the global propagator (W3C trace context and
    /// baggage). Keep the returned [`Telemetry`] and call [`Telemetry::shutdown`] before
    /// the process exits, or the last batch is lost.
    ///
    /// The OpenTelemetry API (0.33) has no global logger provider, so the logger provider
    /// is not installed anywhere: hand [`Telemetry::logger_provider`] to whatever emits
    /// log records (the middleware's `MistralTracing::builder().logger_provider(..)`).
    ///
    /// With `OTEL_SDK_DISABLED=true` no global is set: the OpenTelemetry API keeps its
    /// no-op providers and propagator.
    pub fn install(self) -> Result<Telemetry, ExportError> {
        let telemetry = self.build()?;
        telemetry.set_global();
        Ok(telemetry)
    }

    /// The endpoint for one signal from code, if any: verbatim, or the base with `path`
    /// appended over HTTP.
    pub(crate) fn signal_endpoint(
        &self,
        verbatim: Option<&String>,
        protocol: Protocol,
        path: &str,
    ) -> Option<String> {
        if let Some(url) = verbatim {
            return Some(url.clone());
        }
        let base = self.endpoint.as_ref()?;
        Some(match protocol {
            Protocol::Grpc => base.clone(),
            Protocol::HttpProtobuf => format!("{}{path}", base.trim_end_matches('/')),
        })
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

    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn per_signal_protocol_wins_over_general_protocol() {
        let config = OtlpConfig::from_env_with(env(&[
            (PROTOCOL_VAR, "http/protobuf"),
            (TRACES_PROTOCOL_VAR, "grpc"),
        ]));
        assert_eq!(config.traces_protocol(), Protocol::Grpc);
        assert_eq!(config.metrics_protocol(), Protocol::HttpProtobuf);
    }

    #[test]
    fn no_environment_means_grpc_with_metrics() {
        let config = OtlpConfig::from_env_with(env(&[]));
        assert_eq!(config.traces_protocol(), Protocol::Grpc);
        assert_eq!(config.metrics_protocol(), Protocol::Grpc);
        assert!(config.metrics_enabled());
    }

    #[test]
    fn unknown_protocol_fails_build_naming_the_variable() {
        let err = OtlpConfig::from_env_with(env(&[(PROTOCOL_VAR, "http/json")]))
            .build()
            .unwrap_err();
        match err {
            ExportError::InvalidEnv { var, value, .. } => {
                assert_eq!((var.as_str(), value.as_str()), (PROTOCOL_VAR, "http/json"));
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn protocol_from_code_overrides_an_invalid_environment_value() {
        let config = OtlpConfig::from_env_with(env(&[(PROTOCOL_VAR, "carrier-pigeon")]))
            .protocol(Protocol::HttpProtobuf);
        assert!(config.invalid_env.is_empty());
    }

    #[test]
    fn metrics_switch_accepts_false_spellings_and_rejects_others() {
        for off in ["false", "FALSE", "0", "off", "no"] {
            let config = OtlpConfig::from_env_with(move |n| {
                (n == METRICS_SWITCH_VAR).then(|| off.to_owned())
            });
            assert!(!config.metrics_enabled(), "{off}");
        }
        let config = OtlpConfig::from_env_with(env(&[(METRICS_SWITCH_VAR, "maybe")]));
        assert_eq!(config.invalid_env[0].var, METRICS_SWITCH_VAR);
    }

    #[test]
    fn exporter_names_are_trimmed_and_case_insensitive() {
        let config = OtlpConfig::from_env_with(env(&[
            (TRACES_EXPORTER_VAR, " Console "),
            (METRICS_EXPORTER_VAR, "NONE"),
        ]));
        assert!(config.invalid_env.is_empty());
        assert_eq!(config.traces_exporter_kind(), SignalExporter::Console);
        assert_eq!(config.metrics_exporter_kind(), SignalExporter::None);
        let config = OtlpConfig::from_env_with(env(&[(TRACES_EXPORTER_VAR, "oTLp")]));
        assert_eq!(config.traces_exporter_kind(), SignalExporter::Otlp);
    }

    #[test]
    fn metrics_need_the_switch_on_and_an_exporter() {
        let on = OtlpConfig::from_env_with(env(&[(METRICS_EXPORTER_VAR, "console")]));
        assert!(on.metrics_enabled());
        let switch_off = OtlpConfig::from_env_with(env(&[
            (METRICS_EXPORTER_VAR, "console"),
            (METRICS_SWITCH_VAR, "false"),
        ]));
        assert!(!switch_off.metrics_enabled());
        assert_eq!(switch_off.metrics_exporter_in_use(), SignalExporter::None);
        let exporter_none = OtlpConfig::from_env_with(env(&[
            (METRICS_EXPORTER_VAR, "none"),
            (METRICS_SWITCH_VAR, "true"),
        ]));
        assert!(!exporter_none.metrics_enabled());
        let disabled = OtlpConfig::from_env_with(env(&[("OTEL_SDK_DISABLED", "TRUE")]));
        assert!(disabled.sdk_disabled());
        assert!(!disabled.metrics_enabled());
        let not_disabled = OtlpConfig::from_env_with(env(&[("OTEL_SDK_DISABLED", "yes")]));
        assert!(!not_disabled.sdk_disabled());
    }

    #[test]
    fn exporter_from_code_overrides_an_invalid_environment_value() {
        let config = OtlpConfig::from_env_with(env(&[
            (TRACES_EXPORTER_VAR, "zipkin"),
            (METRICS_EXPORTER_VAR, "prometheus"),
        ]));
        assert_eq!(config.invalid_env.len(), 2);
        let config = config.traces_exporter(SignalExporter::None);
        assert_eq!(config.invalid_env.len(), 1);
        assert_eq!(config.invalid_env[0].var, METRICS_EXPORTER_VAR);
        let config = config.metrics_exporter(SignalExporter::Console);
        assert!(config.invalid_env.is_empty());
    }

    #[test]
    fn http_base_endpoint_gets_signal_paths_and_verbatim_endpoints_do_not() {
        let config = OtlpConfig::new()
            .protocol(Protocol::HttpProtobuf)
            .endpoint("http://collector:4318/")
            .metrics_endpoint("http://other/custom");
        assert_eq!(
            config.signal_endpoint(None, Protocol::HttpProtobuf, "/v1/traces"),
            Some("http://collector:4318/v1/traces".to_owned())
        );
        assert_eq!(
            config.signal_endpoint(
                config.metrics_endpoint.as_ref(),
                Protocol::HttpProtobuf,
                "/v1/metrics"
            ),
            Some("http://other/custom".to_owned())
        );
        assert_eq!(
            config.signal_endpoint(None, Protocol::Grpc, "/v1/traces"),
            Some("http://collector:4318/".to_owned())
        );
    }

    #[test]
    fn logs_follow_the_general_protocol_unless_their_own_variable_says_otherwise() {
        let config = OtlpConfig::from_env_with(env(&[(PROTOCOL_VAR, "http/protobuf")]));
        assert_eq!(config.logs_protocol(), Protocol::HttpProtobuf);
        let config = OtlpConfig::from_env_with(env(&[
            (PROTOCOL_VAR, "http/protobuf"),
            (LOGS_PROTOCOL_VAR, "grpc"),
        ]));
        assert_eq!(config.logs_protocol(), Protocol::Grpc);
        assert_eq!(config.traces_protocol(), Protocol::HttpProtobuf);
        // code sets every signal's protocol and forgets a bad logs value
        let config = OtlpConfig::from_env_with(env(&[(LOGS_PROTOCOL_VAR, "http/json")]));
        assert_eq!(config.invalid_env[0].var, LOGS_PROTOCOL_VAR);
        let config = config.protocol(Protocol::HttpProtobuf);
        assert!(config.invalid_env.is_empty());
        assert_eq!(config.logs_protocol(), Protocol::HttpProtobuf);
    }

    #[test]
    fn logs_need_the_switch_on_an_exporter_and_the_sdk_enabled() {
        let default = OtlpConfig::from_env_with(env(&[]));
        assert_eq!(default.logs_exporter_kind(), SignalExporter::Otlp);
        assert!(default.logs_enabled());
        let console = OtlpConfig::from_env_with(env(&[(LOGS_EXPORTER_VAR, " CONSOLE ")]));
        assert_eq!(console.logs_exporter_kind(), SignalExporter::Console);
        assert!(console.logs_enabled());
        let none = OtlpConfig::from_env_with(env(&[(LOGS_EXPORTER_VAR, "none")]));
        assert!(!none.logs_enabled());
        assert!(!console.clone().logs(false).logs_enabled());
        assert_eq!(
            console.clone().logs(false).logs_exporter_in_use(),
            SignalExporter::None
        );
        let disabled = OtlpConfig::from_env_with(env(&[
            (LOGS_EXPORTER_VAR, "console"),
            ("OTEL_SDK_DISABLED", "true"),
        ]));
        assert!(!disabled.logs_enabled());
        let bad = OtlpConfig::from_env_with(env(&[(LOGS_EXPORTER_VAR, "otlp,console")]));
        assert_eq!(bad.invalid_env[0].var, LOGS_EXPORTER_VAR);
        assert!(
            bad.logs_exporter(SignalExporter::None)
                .invalid_env
                .is_empty()
        );
    }

    #[test]
    fn http_base_endpoint_gets_the_logs_path_and_a_logs_endpoint_is_verbatim() {
        let config = OtlpConfig::new()
            .protocol(Protocol::HttpProtobuf)
            .endpoint("http://collector:4318");
        assert_eq!(
            config.signal_endpoint(
                config.logs_endpoint.as_ref(),
                Protocol::HttpProtobuf,
                "/v1/logs"
            ),
            Some("http://collector:4318/v1/logs".to_owned())
        );
        let config = config.logs_endpoint("http://logs:1234/custom");
        assert_eq!(
            config.signal_endpoint(
                config.logs_endpoint.as_ref(),
                Protocol::HttpProtobuf,
                "/v1/logs"
            ),
            Some("http://logs:1234/custom".to_owned())
        );
    }

    #[test]
    fn debug_redacts_header_values() {
        let config = OtlpConfig::new().header("authorization", "Bearer sk-secret");
        let shown = format!("{config:?}");
        assert!(shown.contains("authorization"));
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("sk-secret"));
    }

    #[test]
    fn setting_a_header_again_replaces_it_case_insensitively() {
        let config = OtlpConfig::new()
            .header("X-Tenant", "a")
            .header("x-tenant", "b");
        assert_eq!(
            config.headers,
            vec![("x-tenant".to_owned(), "b".to_owned())]
        );
    }
}
