//! OTLP/gRPC: tonic's generated trace, metrics and logs services, served by axum behind a
//! middleware that keeps the request exactly as it arrived.

use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

use crate::export::{ExportKind, ReceivedExport, Transport};
use crate::store::{Payload, Reply, Store};
use crate::{MAX_BODY_BYTES, header_pairs};

/// The request as seen on the wire, handed from the middleware to the service.
#[derive(Clone)]
struct WireRequest {
    path: String,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    raw_body: Vec<u8>,
}

impl WireRequest {
    fn into_export(self, kind: ExportKind) -> ReceivedExport {
        ReceivedExport {
            transport: Transport::Grpc,
            path: self.path,
            headers: self.headers,
            content_type: self.content_type,
            raw_body: self.raw_body,
            kind,
        }
    }
}

pub(crate) fn router(store: Arc<Store>) -> axum::Router {
    tonic::service::Routes::new(TraceServiceServer::new(TraceSink(Arc::clone(&store))))
        .add_service(MetricsServiceServer::new(MetricsSink(Arc::clone(&store))))
        .add_service(LogsServiceServer::new(LogsSink(store)))
        .into_axum_router()
        .layer(axum::middleware::from_fn(keep_wire_request))
}

async fn keep_wire_request(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let raw = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(raw) => raw,
        Err(e) => {
            return tonic::Status::invalid_argument(format!("unreadable request body: {e}"))
                .into_http();
        }
    };
    let headers = header_pairs(&parts.headers);
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    parts.extensions.insert(WireRequest {
        path: parts.uri.path().to_owned(),
        headers,
        content_type,
        raw_body: raw.to_vec(),
    });
    next.run(Request::from_parts(parts, axum::body::Body::from(raw)))
        .await
}

fn take_wire_request<T>(request: &mut tonic::Request<T>, path: &str) -> WireRequest {
    request
        .extensions_mut()
        .remove::<WireRequest>()
        // Only reachable if the router is served without its middleware.
        .unwrap_or_else(|| WireRequest {
            path: path.to_owned(),
            headers: header_pairs(&request.metadata().clone().into_headers()),
            content_type: None,
            raw_body: Vec::new(),
        })
}

async fn answer<R: Default>(store: &Store) -> Result<tonic::Response<R>, tonic::Status> {
    match store.reply().await {
        Reply::Accept => Ok(tonic::Response::new(R::default())),
        Reply::Fail => Err(tonic::Status::internal("injected failure")),
        Reply::Unavailable => Err(tonic::Status::unavailable("receiver shutting down")),
    }
}

struct TraceSink(Arc<Store>);

#[tonic::async_trait]
impl TraceService for TraceSink {
    async fn export(
        &self,
        mut request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let wire = take_wire_request(
            &mut request,
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        );
        self.0.record(
            wire.into_export(ExportKind::Traces),
            Payload::Traces(request.into_inner()),
        );
        answer(&self.0).await
    }
}

struct MetricsSink(Arc<Store>);

#[tonic::async_trait]
impl MetricsService for MetricsSink {
    async fn export(
        &self,
        mut request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let wire = take_wire_request(
            &mut request,
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        );
        self.0.record(
            wire.into_export(ExportKind::Metrics),
            Payload::Metrics(request.into_inner()),
        );
        answer(&self.0).await
    }
}

struct LogsSink(Arc<Store>);

#[tonic::async_trait]
impl LogsService for LogsSink {
    async fn export(
        &self,
        mut request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let wire = take_wire_request(
            &mut request,
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        );
        self.0.record(
            wire.into_export(ExportKind::Logs),
            Payload::Logs(request.into_inner()),
        );
        answer(&self.0).await
    }
}
