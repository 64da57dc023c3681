//! The `reqwest_middleware::Middleware` implementation: recognise a Mistral call, start
//! its span, run the rest of the chain with the span current, and hand the response body
//! to the recorder of its kind.

use std::borrow::Cow;
use std::time::Instant;

use http::Extensions;
use mistral_otel_wire::{
    Operation, Route, TurnRequest, match_route, parse_agent_request, parse_turn_request_with,
};
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{Link, TraceContextExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest_middleware::{Middleware, Next};

use crate::MistralTracing;
use crate::call::{CallSpan, CallStart};
use crate::capture::Capture;
use crate::decorate::{self, SpanAttributes};
use crate::links::Remembered;
use crate::mapping::error::ErrorFacts;
use crate::mapping::resource::{self, PathIds};
use crate::mapping::{kv_strings, request, response_headers};
use crate::metrics::CallMetrics;
use crate::options::{
    AgentName, CaptureContent, DisablePropagation, DisableTracing, ExtraAttributes,
};
use crate::record::plain::{BodyKind, PlainRecorder};
use crate::record::stream::StreamRecorder;
use crate::semconv as sc;
use crate::tap::tap_response;

#[async_trait::async_trait]
impl Middleware for MistralTracing {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if ext.get::<DisableTracing>().is_some() {
            return next.run(req, ext).await;
        }
        // the route borrows from this copy of the URL while the request moves on
        let url = req.url().clone();
        let Some(route) = self
            .config
            .targets
            .api_path(&url)
            .and_then(|path| match_route(req.method().as_str(), path))
        else {
            return next.run(req, ext).await;
        };
        let (mut call, family) = self.begin(&route, &url, &req, ext);
        let cx = call.cx.clone();
        self.inject(&cx, &mut req, ext);
        match next.run(req, ext).with_context(cx).await {
            Ok(response) => Ok(self.on_response(call, family, response)),
            Err(err) => {
                let facts = ErrorFacts::middleware(&err);
                call.fail(&facts);
                if let Family::Turn { metrics, .. } = &family {
                    call.set_attribute(kv_strings(
                        sc::GEN_AI_RESPONSE_FINISH_REASONS,
                        ["error".to_owned()],
                    ));
                    if let Some(m) = metrics {
                        m.record(call.elapsed_at(Instant::now()), Some(&facts.error_type));
                    }
                }
                let end = call.now();
                call.end(end);
                Err(err)
            }
        }
    }
}

/// What kind of call it is, and what its recorder will need.
enum Family {
    /// start / append / restart
    Turn {
        metrics: Option<CallMetrics>,
        /// For the turn-link cache: the name later turns of the conversation inherit.
        agent_name: Option<String>,
    },
    /// Read, delete, agent and library calls.
    Resource {
        operation: Operation,
        known: PathIds,
    },
}

impl MistralTracing {
    fn capture_for(&self, ext: &Extensions) -> Option<Capture> {
        let on = ext
            .get::<CaptureContent>()
            .map_or(self.config.capture_content, |c| c.0);
        on.then(|| Capture::new(self.config.content.clone()))
    }

    fn inject(&self, cx: &Context, req: &mut reqwest::Request, ext: &Extensions) {
        if !self.config.propagate || ext.get::<DisablePropagation>().is_some() {
            return;
        }
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(cx, &mut HeaderInjector(req.headers_mut()));
        });
    }

    /// Everything known before the request is sent: the span (started), its decoration,
    /// and what the recorder will need.
    fn begin(
        &self,
        route: &Route<'_>,
        url: &reqwest::Url,
        req: &reqwest::Request,
        ext: &Extensions,
    ) -> (CallSpan, Family) {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(443);
        let capture = self.capture_for(ext);
        // only a JSON body already in memory is read: a streamed (multipart) upload never is
        let body = req.body().and_then(|b| b.as_bytes());
        let accept_stream = header_contains(req.headers(), ACCEPT, "text/event-stream");
        let (mut start, family, turn, stream, conversation_id) = if route.operation.is_turn() {
            // without content capture, inputs and instructions are skipped, not built
            let turn: Option<TurnRequest> =
                body.and_then(|b| parse_turn_request_with(b, capture.is_some()).ok());
            let previous = match (&self.config.links, route.conversation_id) {
                (Some(cache), Some(conv)) => cache.get(conv),
                _ => None,
            };
            // a later turn of a named conversation keeps the name
            let agent_name = ext.get::<AgentName>().map(|a| a.0.clone()).or_else(|| {
                turn.as_ref()
                    .and_then(|p| p.name.clone())
                    .or_else(|| previous.as_ref().and_then(|p| p.agent_name.clone()))
            });
            let planned = request::turn_start(
                route.operation,
                route.conversation_id,
                turn.as_ref(),
                agent_name.as_deref(),
                accept_stream,
                request::Target { host, port },
                capture.as_ref(),
            );
            let metrics = self.config.instruments().map(|i| {
                CallMetrics::new(
                    i,
                    sc::op::INVOKE_AGENT,
                    planned.request_model.as_deref(),
                    host,
                    port,
                )
            });
            let start = CallStart {
                name: Cow::Owned(planned.span_name),
                attributes: planned.attributes,
                links: previous
                    .map(|p| vec![Link::with_context(p.span)])
                    .unwrap_or_default(),
            };
            let family = Family::Turn {
                metrics,
                agent_name,
            };
            (start, family, turn, planned.stream, planned.conversation_id)
        } else {
            let agent_request = (route.operation == Operation::AgentCreate)
                .then_some(body)
                .flatten()
                .and_then(|bytes| parse_agent_request(bytes).ok());
            let (name, attributes) = resource::start(
                route,
                url.query(),
                req.method().as_str(),
                host,
                port,
                agent_request.as_ref(),
                capture.as_ref(),
            );
            let start = CallStart {
                name: Cow::Owned(name),
                attributes,
                links: Vec::new(),
            };
            let family = Family::Resource {
                operation: route.operation,
                known: PathIds::of(route),
            };
            (start, family, None, accept_stream, None)
        };
        let view = decorate::CallStart {
            operation: route.operation,
            turn: turn.as_ref(),
            path_conversation_id: route.conversation_id,
            stream,
        };
        let mut attrs = SpanAttributes::new(capture.as_ref());
        let decoration = self.config.decorator.start(&view, &mut attrs);
        start.attributes.extend(attrs.into_attributes());
        if let Some(extra) = ext.get::<ExtraAttributes>() {
            start.attributes.extend(extra.0.iter().cloned());
        }
        let mut call = CallSpan::start(
            self.config.tracer(),
            &Context::current(),
            start,
            capture,
            decoration,
        );
        call.conversation_id = conversation_id;
        (call, family)
    }

    /// The response headers arrived: record them and tap the body.
    fn on_response(
        &self,
        mut call: CallSpan,
        family: Family,
        response: reqwest::Response,
    ) -> reqwest::Response {
        call.response_time = Some(call.now());
        let status = response.status().as_u16();
        call.set_attributes(response_headers(status, response.headers()));
        let expected = response.content_length();
        let cap = self.config.max_body_bytes;
        match family {
            Family::Turn {
                metrics,
                agent_name,
            } => {
                if let Some(cache) = self.config.links.clone() {
                    let remembered = Remembered {
                        span: call.cx.span().span_context().clone(),
                        agent_name,
                    };
                    call.on_end = Some(Box::new(move |conv: Option<&str>| {
                        if let Some(conv) = conv {
                            cache.put(conv, remembered);
                        }
                    }));
                }
                let is_sse = response.status().is_success()
                    && header_contains(response.headers(), CONTENT_TYPE, "text/event-stream");
                if is_sse {
                    let recorder = StreamRecorder::new(call, self.config.max_event_bytes, metrics);
                    tap_response(response, recorder)
                } else {
                    let kind = BodyKind::Turn(metrics);
                    tap_response(
                        response,
                        PlainRecorder::new(call, kind, status, cap, expected),
                    )
                }
            }
            Family::Resource { operation, known } => {
                let kind = BodyKind::Resource(operation, known);
                tap_response(
                    response,
                    PlainRecorder::new(call, kind, status, cap, expected),
                )
            }
        }
    }
}

fn header_contains(headers: &HeaderMap, name: HeaderName, needle: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains(needle))
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
