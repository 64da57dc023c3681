//! The `reqwest_middleware::Middleware` implementation: recognise a Mistral call, start
//! its span, run the rest of the chain with the span current, and hand the response body
//! to the recorder of its kind.

use std::borrow::Cow;
use std::time::Instant;

use http::Extensions;
use mistral_otel_wire::{
    CallKind, CompletionRequest, InferenceRequest, Operation, Route, TurnRequest, match_route,
    parse_agent_request, parse_completion_request_with, parse_inference_request,
    parse_turn_request_with, peek_top_level_string,
};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{Link, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest_middleware::{Middleware, Next};

use crate::MistralTracing;
use crate::call::{CallSpan, CallStart};
use crate::capture::{Capture, ContentCapture};
use crate::decorate::{self, SpanAttributes};
use crate::links::{Pending, Remembered};
use crate::mapping::confirmation::{decision_event, outcome_of};
use crate::mapping::error::ErrorFacts;
use crate::mapping::resource::{self, PathIds};
use crate::mapping::{completion, inference, kv_strings, request, response_headers};
use crate::metrics::CallMetrics;
use crate::options::{
    AgentName, CaptureContent, DisablePropagation, DisableTracing, ExtraAttributes,
};
use crate::record::chunks::ChunkRecorder;
use crate::record::completion_stream::CompletionChunks;
use crate::record::plain::{BodyKind, PlainRecorder};
use crate::record::stream::StreamRecorder;
use crate::record::transcription_stream::TranscriptionChunks;
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
                if let Family::Turn { .. } = &family {
                    call.set_attribute(kv_strings(
                        sc::GEN_AI_RESPONSE_FINISH_REASONS,
                        ["error".to_owned()],
                    ));
                }
                if let Some(m) = family.metrics() {
                    m.record(call.elapsed_at(Instant::now()), Some(&facts.error_type));
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
    /// Chat, FIM and agents completions.
    Completion { metrics: Option<CallMetrics> },
    /// Embeddings, moderation, classification, OCR, transcription.
    Inference {
        operation: Operation,
        dimension_asked: bool,
        metrics: Option<CallMetrics>,
    },
    /// Read, delete, agent, library, model, file and job calls.
    Resource {
        operation: Operation,
        known: PathIds,
    },
}

impl Family {
    fn metrics(&self) -> Option<&CallMetrics> {
        match self {
            Family::Turn { metrics, .. }
            | Family::Completion { metrics }
            | Family::Inference { metrics, .. } => metrics.as_ref(),
            Family::Resource { .. } => None,
        }
    }
}

/// The request body as the middleware may read it.
enum RequestBody<'r> {
    /// A JSON body in memory, within the cap.
    Json(&'r [u8]),
    /// A JSON body in memory larger than the cap: not parsed (its leading `model` may be
    /// peeked at within the cap).
    OverCap(&'r [u8]),
    /// No body, a streamed (multipart) upload, or a body that is not JSON: never read.
    Unread,
}

/// The request as parsed, for the decorator.
#[derive(Default)]
struct Parsed {
    turn: Option<TurnRequest>,
    completion: Option<CompletionRequest>,
    inference: Option<InferenceRequest>,
}

/// What `begin` works out for one kind of call.
struct Planned {
    start: CallStart,
    family: Family,
    parsed: Parsed,
    stream: bool,
    conversation_id: Option<String>,
    /// The span is named without a model: name it after the model that answers.
    unnamed_model: Option<&'static str>,
    /// The confirmations an append answers.
    answers: Vec<Answer>,
}

/// One answer of an append's `tool_confirmations`, with the call it answers when that
/// call's turn was seen.
struct Answer {
    tool_call_id: String,
    outcome: String,
    asked: Option<Pending>,
}

impl MistralTracing {
    /// The call's content capture: the configured mode, unless the request says otherwise
    /// (`CaptureContent(true)` keeps a mode that captures, or captures on spans;
    /// `CaptureContent(false)` captures nothing).
    fn capture_for(&self, ext: &Extensions) -> Option<Capture> {
        let configured = self.config.content_capture;
        let mode = match ext.get::<CaptureContent>() {
            Some(CaptureContent(false)) => ContentCapture::NoContent,
            Some(CaptureContent(true)) if !configured.any() => ContentCapture::SpanOnly,
            _ => configured,
        };
        mode.any()
            .then(|| Capture::new(self.config.content.clone(), mode))
    }

    fn inject(&self, cx: &Context, req: &mut reqwest::Request, ext: &Extensions) {
        if !self.config.propagate || ext.get::<DisablePropagation>().is_some() {
            return;
        }
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(cx, &mut HeaderInjector(req.headers_mut()));
        });
    }

    /// Only a JSON body already in memory is read, and only within the body cap: a
    /// streamed (multipart) upload never is.
    fn request_body<'r>(&self, req: &'r reqwest::Request) -> RequestBody<'r> {
        let Some(bytes) = req.body().and_then(|b| b.as_bytes()) else {
            return RequestBody::Unread;
        };
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.to_ascii_lowercase().contains("json"));
        if !json {
            RequestBody::Unread
        } else if bytes.len() > self.config.max_body_bytes {
            RequestBody::OverCap(bytes)
        } else {
            RequestBody::Json(bytes)
        }
    }

    fn metrics_for(
        &self,
        operation: &'static str,
        request_model: Option<&str>,
        target: request::Target<'_>,
    ) -> Option<CallMetrics> {
        self.config
            .instruments()
            .map(|i| CallMetrics::new(i, operation, request_model, target.host, target.port))
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
        let target = request::Target {
            host: url.host_str().unwrap_or_default(),
            port: url.port_or_known_default().unwrap_or(443),
        };
        let capture = self.capture_for(ext);
        let body = self.request_body(req);
        let accept_stream = header_contains(req.headers(), ACCEPT, "text/event-stream");
        let mut planned = match route.operation.kind() {
            CallKind::Turn => {
                self.plan_turn(route, &body, ext, accept_stream, target, capture.as_ref())
            }
            CallKind::Completion => {
                self.plan_completion(route, &body, ext, accept_stream, target, capture.as_ref())
            }
            CallKind::Inference => self.plan_inference(route, &body, target, capture.as_ref()),
            _ => self.plan_resource(
                route,
                url,
                req,
                &body,
                target,
                accept_stream,
                capture.as_ref(),
            ),
        };
        if matches!(body, RequestBody::OverCap(_)) {
            planned
                .start
                .attributes
                .push(KeyValue::new(sc::MISTRAL_REQUEST_BODY_OVER_CAP, true));
        }
        let view = decorate::CallStart {
            operation: route.operation,
            turn: planned.parsed.turn.as_ref(),
            completion: planned.parsed.completion.as_ref(),
            inference: planned.parsed.inference.as_ref(),
            path_conversation_id: route.conversation_id,
            stream: planned.stream,
        };
        let mut attrs = SpanAttributes::new(capture.as_ref().filter(|c| c.spans()));
        let decoration = self.config.decorator.start(&view, &mut attrs);
        planned.start.attributes.extend(attrs.into_attributes());
        if let Some(extra) = ext.get::<ExtraAttributes>() {
            planned.start.attributes.extend(extra.0.iter().cloned());
        }
        // the details event of the inference calls: turns and completions
        let events = if matches!(
            route.operation.kind(),
            CallKind::Turn | CallKind::Completion
        ) {
            self.config.events.clone()
        } else {
            None
        };
        let mut call = CallSpan::start(
            self.config.tracer(),
            &Context::current(),
            planned.start,
            capture,
            decoration,
            events,
        );
        call.conversation_id = planned.conversation_id;
        call.unnamed_model = planned.unnamed_model;
        call.conventions = self.config.conventions;
        if route.operation.is_turn() {
            let client_side = planned
                .parsed
                .turn
                .as_ref()
                .and_then(|t| t.handoff_execution.as_deref())
                == Some("client");
            if client_side {
                call.client_handoffs = Some(self.config.client_handoffs.clone());
            }
            call.pending_calls = Some(self.config.pending_calls.clone());
            self.record_answers(&mut call, &planned.answers, planned.family.metrics());
        }
        (call, planned.family)
    }

    /// The decisions an append carries: one event each on its span (with the wait since the
    /// asking turn ended, when that turn was seen), the longest wait on the span and in
    /// the wait histogram.
    fn record_answers(
        &self,
        call: &mut CallSpan,
        answers: &[Answer],
        metrics: Option<&CallMetrics>,
    ) {
        let now = call.start_time;
        let mut longest: Option<std::time::Duration> = None;
        for answer in answers {
            let wait = answer
                .asked
                .as_ref()
                .and_then(|a| now.duration_since(a.asked_at).ok());
            let tool_name = answer.asked.as_ref().map(|a| a.tool_name.as_str());
            let (name, attrs) = decision_event(
                call.conventions,
                &answer.tool_call_id,
                tool_name,
                &answer.outcome,
                wait,
            );
            call.cx.span().add_event_with_timestamp(name, now, attrs);
            if let (Some(w), Some(m)) = (wait, metrics) {
                m.record_confirmation_wait(tool_name.unwrap_or_default(), &answer.outcome, w);
            }
            longest = longest.max(wait);
        }
        if let Some(w) = longest {
            call.set_attribute(KeyValue::new(
                sc::MISTRAL_TOOL_CONFIRMATION_WAIT,
                w.as_secs_f64(),
            ));
        }
    }

    fn plan_turn(
        &self,
        route: &Route<'_>,
        body: &RequestBody<'_>,
        ext: &Extensions,
        accept_stream: bool,
        target: request::Target<'_>,
        capture: Option<&Capture>,
    ) -> Planned {
        // without content capture, inputs and instructions are skipped, not built
        let turn: Option<TurnRequest> = match body {
            RequestBody::Json(b) => parse_turn_request_with(b, capture.is_some()).ok(),
            RequestBody::OverCap(b) => Some(TurnRequest {
                model: peek_top_level_string(b, "model", self.config.max_body_bytes),
                agent_id: peek_top_level_string(b, "agent_id", self.config.max_body_bytes),
                ..TurnRequest::default()
            }),
            RequestBody::Unread => None,
        };
        let previous = match (&self.config.links, route.conversation_id) {
            (Some(cache), Some(conv)) => cache.get(conv),
            _ => None,
        };
        // the client's call for the agent a turn handed off to (handoff_execution: client):
        // in the same conversation, or a start for that agent
        let handed = route
            .conversation_id
            .and_then(|c| self.config.client_handoffs.take(c))
            .or_else(|| {
                turn.as_ref()
                    .and_then(|t| t.agent_id.as_deref())
                    .and_then(|a| self.config.client_handoffs.take(a))
            });
        // a later turn of a named conversation keeps the name (the receiving agent's, after
        // a client-side handoff)
        let agent_name = ext.get::<AgentName>().map(|a| a.0.clone()).or_else(|| {
            turn.as_ref()
                .and_then(|p| p.name.clone())
                .or_else(|| handed.as_ref().and_then(|h| h.next_agent_name.clone()))
                .or_else(|| previous.as_ref().and_then(|p| p.agent_name.clone()))
        });
        let planned = request::turn_start(
            route.operation,
            route.conversation_id,
            turn.as_ref(),
            agent_name.as_deref(),
            accept_stream,
            target,
            capture,
            self.config.conventions,
        );
        let metrics = self.metrics_for(
            sc::op::INVOKE_AGENT,
            planned.request_model.as_deref(),
            target,
        );
        // an append that answers calls waiting for confirmation links to the turns that
        // asked
        let answers: Vec<Answer> = turn
            .as_ref()
            .map(|t| t.tool_confirmations())
            .unwrap_or_default()
            .into_iter()
            .map(|c| Answer {
                asked: self.config.pending_calls.get(&c.tool_call_id),
                outcome: outcome_of(&c.confirmation),
                tool_call_id: c.tool_call_id,
            })
            .collect();
        let mut links: Vec<Link> = previous
            .map(|p| vec![Link::with_context(p.span)])
            .unwrap_or_default();
        let linked = answers
            .iter()
            .filter_map(|a| a.asked.as_ref().map(|p| &p.span))
            .chain(handed.as_ref().map(|h| &h.span));
        for span in linked {
            if !links
                .iter()
                .any(|l| l.span_context.span_id() == span.span_id())
            {
                links.push(Link::with_context(span.clone()));
            }
        }
        let mut attributes = planned.attributes;
        if let Some(previous_agent) = handed.as_ref().and_then(|h| h.previous_agent_name.clone()) {
            attributes.push(KeyValue::new(
                sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME,
                previous_agent,
            ));
        }
        Planned {
            start: CallStart {
                name: Cow::Owned(planned.span_name),
                attributes,
                links,
            },
            family: Family::Turn {
                metrics,
                agent_name,
            },
            parsed: Parsed {
                turn,
                ..Parsed::default()
            },
            stream: planned.stream,
            conversation_id: planned.conversation_id,
            unnamed_model: None,
            answers,
        }
    }

    fn plan_completion(
        &self,
        route: &Route<'_>,
        body: &RequestBody<'_>,
        ext: &Extensions,
        accept_stream: bool,
        target: request::Target<'_>,
        capture: Option<&Capture>,
    ) -> Planned {
        let request: Option<CompletionRequest> = match body {
            RequestBody::Json(b) => parse_completion_request_with(b, capture.is_some()).ok(),
            RequestBody::OverCap(b) => Some(CompletionRequest {
                model: peek_top_level_string(b, "model", self.config.max_body_bytes),
                agent_id: peek_top_level_string(b, "agent_id", self.config.max_body_bytes),
                ..CompletionRequest::default()
            }),
            RequestBody::Unread => None,
        };
        // the agent's name: the application's, else the one its create or read answered
        let agent_name = ext.get::<AgentName>().map(|a| a.0.clone()).or_else(|| {
            request
                .as_ref()
                .and_then(|r| r.agent_id.as_deref())
                .and_then(|id| self.config.agent_names.get(id))
        });
        let planned = completion::completion_start(
            route.operation,
            request.as_ref(),
            agent_name.as_deref(),
            accept_stream,
            target,
            capture,
        );
        let metrics = self.metrics_for(
            completion::operation_name(route.operation),
            planned.request_model.as_deref(),
            target,
        );
        Planned {
            start: CallStart {
                name: Cow::Owned(planned.span_name),
                attributes: planned.attributes,
                links: Vec::new(),
            },
            family: Family::Completion { metrics },
            parsed: Parsed {
                completion: request,
                ..Parsed::default()
            },
            stream: planned.stream,
            conversation_id: None,
            unnamed_model: None,
            answers: Vec::new(),
        }
    }

    fn plan_inference(
        &self,
        route: &Route<'_>,
        body: &RequestBody<'_>,
        target: request::Target<'_>,
        capture: Option<&Capture>,
    ) -> Planned {
        let op = route.operation;
        let request: Option<InferenceRequest> = match body {
            RequestBody::Json(b) => parse_inference_request(op, b, capture.is_some()).ok(),
            RequestBody::OverCap(b) => Some(InferenceRequest {
                model: peek_top_level_string(b, "model", self.config.max_body_bytes),
                ..InferenceRequest::default()
            }),
            RequestBody::Unread => None,
        };
        let (name, attributes) = inference::inference_start(op, request.as_ref(), target, capture);
        let request_model = request.as_ref().and_then(|r| r.model.clone());
        let metrics = self.metrics_for(
            inference::operation_name(op),
            request_model.as_deref(),
            target,
        );
        Planned {
            start: CallStart {
                name: Cow::Owned(name),
                attributes,
                links: Vec::new(),
            },
            family: Family::Inference {
                operation: op,
                dimension_asked: request
                    .as_ref()
                    .is_some_and(|r| r.output_dimension.is_some()),
                metrics,
            },
            stream: request.as_ref().and_then(|r| r.stream).unwrap_or(false),
            unnamed_model: request_model
                .is_none()
                .then(|| inference::operation_name(op)),
            parsed: Parsed {
                inference: request,
                ..Parsed::default()
            },
            conversation_id: None,
            answers: Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_resource(
        &self,
        route: &Route<'_>,
        url: &reqwest::Url,
        req: &reqwest::Request,
        body: &RequestBody<'_>,
        target: request::Target<'_>,
        accept_stream: bool,
        capture: Option<&Capture>,
    ) -> Planned {
        let agent_request = match body {
            RequestBody::Json(b) if route.operation == Operation::AgentCreate => {
                parse_agent_request(b).ok()
            }
            _ => None,
        };
        let (name, attributes) = resource::start(
            route,
            url.query(),
            req.method().as_str(),
            target.host,
            target.port,
            agent_request.as_ref(),
            capture,
        );
        Planned {
            start: CallStart {
                name: Cow::Owned(name),
                attributes,
                links: Vec::new(),
            },
            family: Family::Resource {
                operation: route.operation,
                known: PathIds::of(route, url.query()),
            },
            parsed: Parsed::default(),
            stream: accept_stream,
            conversation_id: None,
            unnamed_model: None,
            answers: Vec::new(),
        }
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
        let is_sse = response.status().is_success()
            && header_contains(response.headers(), CONTENT_TYPE, "text/event-stream");
        let max_event = self.config.max_event_bytes;
        // content kept from a stream: four attribute caps' worth
        let budget = call
            .capture()
            .map(|c| c.max_attribute_bytes().saturating_mul(4));
        let kind = match family {
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
                if is_sse {
                    return tap_response(response, StreamRecorder::new(call, max_event, metrics));
                }
                BodyKind::Turn(metrics)
            }
            Family::Completion { metrics } => {
                if is_sse {
                    let fold = CompletionChunks::new(budget);
                    let recorder = ChunkRecorder::new(call, fold, max_event, metrics);
                    return tap_response(response, recorder);
                }
                BodyKind::Completion(metrics)
            }
            Family::Inference {
                operation,
                dimension_asked,
                metrics,
            } => {
                if is_sse && operation == Operation::AudioTranscription {
                    let fold = TranscriptionChunks::new(budget);
                    let recorder = ChunkRecorder::new(call, fold, max_event, metrics);
                    return tap_response(response, recorder);
                }
                BodyKind::Inference {
                    op: operation,
                    dimension_asked,
                    metrics,
                }
            }
            Family::Resource { operation, known } => BodyKind::Resource {
                op: operation,
                known,
                agent_names: matches!(
                    operation,
                    Operation::AgentCreate
                        | Operation::AgentGet
                        | Operation::AgentUpdate
                        | Operation::AgentUpdateVersion
                )
                .then(|| self.config.agent_names.clone()),
            },
        };
        tap_response(
            response,
            PlainRecorder::new(call, kind, status, cap, expected),
        )
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
