//! One OTLP request as it arrived, and the fault the receiver answers with.

use std::time::Duration;

/// The transport an export arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// OTLP/gRPC (tonic exporters).
    Grpc,
    /// OTLP/HTTP, protobuf or JSON body.
    Http,
}

/// Which signal an export carries, known from its gRPC method or HTTP path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// `ExportTraceServiceRequest`.
    Traces,
    /// `ExportMetricsServiceRequest`.
    Metrics,
    /// `ExportLogsServiceRequest`.
    Logs,
}

/// One export request exactly as the receiver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedExport {
    /// The transport it came on.
    pub transport: Transport,
    /// The request path: `/otel/v1/traces`, `/v1/logs` over HTTP,
    /// `/opentelemetry.proto.collector.trace.v1.TraceService/Export` or
    /// `/opentelemetry.proto.collector.logs.v1.LogsService/Export` over gRPC.
    pub path: String,
    /// Every request header (gRPC metadata included), names in lower case, in arrival order.
    /// Non-UTF-8 values are decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The `content-type` header, if any (`application/x-protobuf`, `application/json`,
    /// `application/grpc`).
    pub content_type: Option<String>,
    /// The exact body bytes received: the protobuf or JSON document over HTTP, the
    /// length-prefixed gRPC message frame(s) over gRPC. Meant for scanning for secrets.
    pub raw_body: Vec<u8>,
    /// The signal it carries.
    pub kind: ExportKind,
}

impl ReceivedExport {
    /// The value of the first header called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the receiver answers exports: fault injection for exporter tests.
///
/// Every request is recorded on arrival whatever the behaviour, so a test can see that an
/// exporter tried even when the answer was a failure or never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Answer success at once.
    #[default]
    Normal,
    /// Answer HTTP 500, or gRPC status `INTERNAL`.
    Status500,
    /// Accept the request and never answer (until the receiver shuts down).
    Hang,
    /// Answer success after this delay.
    Slow(Duration),
}
