//! OTLP/HTTP: `POST` on any path ending in `/v1/traces`, `/v1/metrics` or `/v1/logs`,
//! protobuf or JSON.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::export::{ExportKind, ReceivedExport, Transport};
use crate::store::{Payload, Reply, Store};
use crate::{MAX_BODY_BYTES, header_pairs};

pub(crate) fn router(store: Arc<Store>) -> axum::Router {
    axum::Router::new().fallback(export).with_state(store)
}

async fn export(State(store): State<Arc<Store>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let kind = if path.ends_with("/v1/traces") {
        ExportKind::Traces
    } else if path.ends_with("/v1/metrics") {
        ExportKind::Metrics
    } else if path.ends_with("/v1/logs") {
        ExportKind::Logs
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if parts.method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let raw = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(raw) => raw,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let json = content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/json"));
    let payload = decode(kind, json, &raw);
    let decoded = !matches!(payload, Payload::Undecodable);
    store.record(
        ReceivedExport {
            transport: Transport::Http,
            path,
            headers: header_pairs(&parts.headers),
            content_type,
            raw_body: raw.to_vec(),
            kind,
        },
        payload,
    );
    if !decoded {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match store.reply().await {
        Reply::Accept => success(json),
        Reply::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Reply::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

fn decode(kind: ExportKind, json: bool, raw: &[u8]) -> Payload {
    let decoded = match (kind, json) {
        (ExportKind::Traces, false) => ExportTraceServiceRequest::decode(raw)
            .ok()
            .map(Payload::Traces),
        (ExportKind::Traces, true) => serde_json::from_slice::<ExportTraceServiceRequest>(raw)
            .ok()
            .map(Payload::Traces),
        (ExportKind::Metrics, false) => ExportMetricsServiceRequest::decode(raw)
            .ok()
            .map(Payload::Metrics),
        (ExportKind::Metrics, true) => serde_json::from_slice::<ExportMetricsServiceRequest>(raw)
            .ok()
            .map(Payload::Metrics),
        (ExportKind::Logs, false) => ExportLogsServiceRequest::decode(raw)
            .ok()
            .map(Payload::Logs),
        (ExportKind::Logs, true) => serde_json::from_slice::<ExportLogsServiceRequest>(raw)
            .ok()
            .map(Payload::Logs),
    };
    decoded.unwrap_or(Payload::Undecodable)
}

/// A full success: the empty `Export*ServiceResponse` (no partial success), in the
/// request's encoding. Every response message encodes to zero bytes when empty.
fn success(json: bool) -> Response {
    let (content_type, body) = if json {
        ("application/json", Body::from("{}"))
    } else {
        ("application/x-protobuf", Body::empty())
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
