//! The HTTP server: matching requests to cases and sending the recorded bytes back.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::serve::ListenerExt as _;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::pieces::{Chunking, pieces};
use crate::routes::{Incoming, Route, select};
use crate::{Fixtures, MockError};

/// Request header naming the case to answer with, bypassing matching.
///
/// Needed when two cases share method, path and body (`start_web_search` and `error_429`).
pub const CASE_HEADER: &str = "x-mock-case";

/// Request bodies up to this size are kept (JSON only) to match them against cases;
/// larger or non-JSON bodies are only counted.
const MATCH_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// How long [`MockServer::shutdown`] waits for open responses before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, without query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lower-case (values decoded lossily as UTF-8).
    pub headers: Vec<(String, String)>,
    /// Size of the request body in bytes (the body itself is not kept).
    pub body_len: usize,
    /// The case that answered, `None` for a 404.
    pub case: Option<String>,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Configures and starts a [`MockServer`].
#[derive(Debug)]
#[must_use = "call .start() to run the server"]
pub struct MockServerBuilder {
    fixtures: Fixtures,
    chunking: Chunking,
    delay: Duration,
    fail_after: HashMap<String, usize>,
}

impl MockServerBuilder {
    /// Sends every response body (SSE and JSON) in pieces of `n` bytes, each its own HTTP
    /// chunk, without `content-length`. `0` counts as `1`.
    pub fn chunk_bytes(mut self, n: usize) -> Self {
        self.chunking = Chunking::Fixed(n);
        self
    }

    /// Sleeps this long between two pieces of a body (not before the first).
    pub fn chunk_delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    /// Sends every body in pieces of pseudo-random size `1..=max` (xorshift from `seed`;
    /// every response is cut the same way). Replaces [`chunk_bytes`](Self::chunk_bytes).
    pub fn random_chunks(mut self, seed: u64, max: usize) -> Self {
        self.chunking = Chunking::Random { seed, max };
        self
    }

    /// For the case `case_name`: sends the headers and the first `n` body bytes, then
    /// aborts the connection, so the client sees a body error mid-stream (also when `n`
    /// covers the whole body: the end of the chunked body never comes).
    pub fn fail_after_bytes(mut self, case_name: &str, n: usize) -> Self {
        self.fail_after.insert(case_name.to_owned(), n);
        self
    }

    /// Binds `127.0.0.1:0` and serves the fixtures until shutdown or drop.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let routes = Route::all(&self.fixtures)?;
        let shared = Arc::new(Shared {
            routes,
            chunking: self.chunking,
            delay: self.delay,
            fail_after: self.fail_after,
            log: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(MockError::Bind)?;
        let addr = listener.local_addr().map_err(MockError::Bind)?;
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        // Without nodelay, small pieces wait on delayed ACKs (~40 ms each on Linux), which
        // would show up as fake latency in time-to-first-chunk measurements.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            });
            // Accept errors are retried inside axum; nothing else can come out here.
            let _ = serve.await;
        });
        Ok(MockServer {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A local server answering with recorded Mistral exchanges.
///
/// Dropping it stops accepting connections; [`MockServer::shutdown`] also waits
/// (briefly) for open responses to finish.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A builder serving `fixtures`, with whole bodies and no delays.
    pub fn builder(fixtures: Fixtures) -> MockServerBuilder {
        MockServerBuilder {
            fixtures,
            chunking: Chunking::Whole,
            delay: Duration::ZERO,
            fail_after: HashMap::new(),
        }
    }

    /// `http://127.0.0.1:PORT`, without trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().clone()
    }

    /// Stops accepting connections and waits a little for open responses to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Debug)]
struct Shared {
    routes: Vec<Route>,
    chunking: Chunking,
    delay: Duration,
    fail_after: HashMap<String, usize>,
    log: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn log(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        // The log stays usable even if a holder panicked: entries are pushed whole.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let keep_body = parts.headers.get(header::CONTENT_TYPE).is_none_or(|v| {
        v.as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"json"))
    });
    let (body_len, kept) = match read_body(body, keep_body).await {
        Ok(read) => read,
        Err(err) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the request body: {err}"),
                "mock_bad_request",
            );
        }
    };
    let json = kept.and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());

    let route = match parts.headers.get(CASE_HEADER) {
        Some(name) => shared
            .routes
            .iter()
            .find(|r| r.name.as_bytes() == name.as_bytes()),
        None => select(
            &shared.routes,
            &Incoming {
                method: &parts.method,
                path: parts.uri.path(),
                query: parts.uri.query(),
                json: json.as_ref(),
            },
        ),
    };

    shared.log().push(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body_len,
        case: route.map(|r| r.name.clone()),
    });

    match route {
        Some(route) => respond(&shared, route),
        None => error_response(
            StatusCode::NOT_FOUND,
            &format!("no fixture matches {} {}", parts.method, parts.uri.path()),
            "mock_not_found",
        ),
    }
}

/// Reads the whole request body, counting it and keeping at most [`MATCH_BODY_LIMIT`] bytes.
async fn read_body(mut body: Body, keep: bool) -> Result<(usize, Option<Bytes>), axum::Error> {
    let mut len = 0usize;
    let mut kept = keep.then(BytesMut::new);
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        len = len.saturating_add(data.len());
        if len > MATCH_BODY_LIMIT {
            kept = None;
        } else if let Some(buf) = kept.as_mut() {
            buf.extend_from_slice(&data);
        }
    }
    Ok((len, kept.map(BytesMut::freeze)))
}

fn respond(shared: &Shared, route: &Route) -> Response {
    let fail_after = shared.fail_after.get(&route.name).copied();
    // A 204 never carries a body, whatever the case says.
    let bytes = route
        .body
        .clone()
        .filter(|_| route.status != StatusCode::NO_CONTENT);
    let body = match bytes {
        None => Body::empty(),
        // Streams, cut bodies and aborted bodies go out chunked, without content-length.
        Some(bytes)
            if route.is_event_stream
                || shared.chunking != Chunking::Whole
                || fail_after.is_some() =>
        {
            Body::from_stream(pieces(bytes, shared.chunking, shared.delay, fail_after))
        }
        Some(bytes) => Body::from(bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = route.status;
    *response.headers_mut() = route.headers.clone();
    response
}

fn error_response(status: StatusCode, message: &str, kind: &str) -> Response {
    let envelope = serde_json::json!({
        "object": "error",
        "message": message,
        "type": kind,
        "param": null,
        "code": null,
    });
    let mut response = Response::new(Body::from(envelope.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
