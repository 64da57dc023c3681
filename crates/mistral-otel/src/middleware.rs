//! The `reqwest_middleware::Middleware` implementation.

use std::borrow::Cow;

use http::Extensions;
use mistral_otel_wire::{
    Operation, Route, match_route, parse_agent_request, parse_turn_request_with,
};
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{Link, TraceContextExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest_middleware::{Middleware, Next};

use crate::MistralTracing;
use crate::links::Remembered;
use crate::mapping::error::ErrorFacts;
use crate::mapping::{other, request};
use crate::metrics::TurnMetrics;
use crate::options::{
    AgentName, CaptureContent, DisablePropagation, DisableTracing, ExtraAttributes,
};
use crate::semconv as sc;
use crate::tap::tap_response;
use crate::turn::Turn;
use crate::turn::plain::{PlainBody, PlainKind};
use crate::turn::stream::StreamBody;

#[async_trait::async_trait]
impl Middleware for MistralTracing {
    async fn handle(
        &self,
        req: reqwest::Request,
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
        if route.operation.is_turn() {
            self.handle_turn(&route, &url, req, ext, next).await
        } else {
            self.handle_other(&route, &url, req, ext, next).await
        }
    }
}

impl MistralTracing {
    fn content_for(&self, ext: &Extensions) -> Option<crate::capture::ContentPolicy> {
        let on = ext
            .get::<CaptureContent>()
            .map_or(self.config.capture_content, |c| c.0);
        on.then(|| self.config.content.clone())
    }

    fn inject(&self, cx: &Context, req: &mut reqwest::Request, ext: &Extensions) {
        if !self.config.propagate || ext.get::<DisablePropagation>().is_some() {
            return;
        }
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(cx, &mut HeaderInjector(req.headers_mut()));
        });
    }

    async fn handle_turn(
        &self,
        route: &Route<'_>,
        url: &reqwest::Url,
        mut req: reqwest::Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let operation = route.operation;
        let path_conversation = route.conversation_id;
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(443);
        let content = self.content_for(ext);
        // without content capture, inputs and instructions are skipped, not built
        let parsed = req
            .body()
            .and_then(|b| b.as_bytes())
            .and_then(|bytes| parse_turn_request_with(bytes, content.is_some()).ok());
        let accept_stream = header_contains(req.headers(), ACCEPT, "text/event-stream");
        let previous = match (&self.config.links, path_conversation) {
            (Some(cache), Some(conv)) => cache.get(conv),
            _ => None,
        };
        // a later turn of a named conversation keeps the name
        let agent_name = ext.get::<AgentName>().map(|a| a.0.clone()).or_else(|| {
            parsed
                .as_ref()
                .and_then(|p| p.name.clone())
                .or_else(|| previous.as_ref().and_then(|p| p.agent_name.clone()))
        });
        let start = request::turn_start(
            operation,
            path_conversation,
            parsed.as_ref(),
            agent_name.as_deref(),
            accept_stream,
            request::Target { host, port },
            content.as_ref(),
        );
        let mut attributes = start.attributes;
        if let Some(extra) = ext.get::<ExtraAttributes>() {
            attributes.extend(extra.0.iter().cloned());
        }
        let links = previous.map(|p| vec![Link::with_context(p.span)]);
        let mut turn = Turn::start(
            self.config.tracer(),
            &Context::current(),
            Cow::Owned(start.span_name),
            attributes,
            links.unwrap_or_default(),
            content,
        );
        turn.braintrust = self.config.braintrust();
        if turn.braintrust {
            let (attrs, truncated) = crate::mapping::braintrust::turn_start(
                operation,
                parsed.as_ref(),
                path_conversation,
                start.stream,
                turn.content.as_ref(),
            );
            turn.set_attributes(attrs);
            turn.content_truncated |= truncated;
        }
        turn.content_truncated |= start.content_truncated;
        turn.conversation_id = start.conversation_id.clone();
        let metrics = self
            .config
            .instruments()
            .map(|i| TurnMetrics::new(i, start.request_model.as_deref(), host, port));
        let cx = turn.cx.clone();
        self.inject(&cx, &mut req, ext);

        let result = next.run(req, ext).with_context(cx.clone()).await;
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                let facts = ErrorFacts::middleware(&err);
                turn.fail(&facts);
                turn.set_attribute(crate::mapping::kv_strings(
                    sc::GEN_AI_RESPONSE_FINISH_REASONS,
                    ["error".to_owned()],
                ));
                if let Some(m) = &metrics {
                    m.record(
                        turn.elapsed_at(std::time::Instant::now()),
                        Some(&facts.error_type),
                    );
                }
                let end = turn.now();
                turn.end(end);
                return Err(err);
            }
        };
        turn.response_time = Some(turn.now());
        let status = response.status().as_u16();
        turn.set_attributes(crate::mapping::response_headers(status, response.headers()));
        let is_sse = response.status().is_success()
            && header_contains(response.headers(), CONTENT_TYPE, "text/event-stream");
        if let Some(cache) = self.config.links.clone() {
            let remembered = Remembered {
                span: cx.span().span_context().clone(),
                agent_name,
            };
            turn.on_end = Some(Box::new(move |conv: Option<&str>| {
                if let Some(conv) = conv {
                    cache.put(conv, remembered);
                }
            }));
        }
        if is_sse {
            let body = StreamBody::new(turn, self.config.max_event_bytes, metrics);
            Ok(tap_response(response, body))
        } else {
            let expected = response.content_length();
            let body = PlainBody::new(
                turn,
                PlainKind::Turn(metrics),
                status,
                self.config.max_body_bytes,
                expected,
            );
            Ok(tap_response(response, body))
        }
    }

    async fn handle_other(
        &self,
        route: &Route<'_>,
        url: &reqwest::Url,
        mut req: reqwest::Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let method = req.method().as_str().to_owned();
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(443);
        let content = self.content_for(ext);
        // only a JSON body that is already in memory is read; a streamed (multipart) upload never is
        let agent_request = (route.operation == Operation::AgentCreate)
            .then(|| req.body().and_then(|b| b.as_bytes()))
            .flatten()
            .and_then(|bytes| parse_agent_request(bytes).ok());
        let (name, mut attributes, truncated) = other::start(
            route,
            url.query(),
            &method,
            host,
            port,
            agent_request.as_ref(),
            content.as_ref(),
        );
        if let Some(extra) = ext.get::<ExtraAttributes>() {
            attributes.extend(extra.0.iter().cloned());
        }
        let operation = route.operation;
        let known = other::PathIds::of(route);
        let mut turn = Turn::start(
            self.config.tracer(),
            &Context::current(),
            Cow::Owned(name),
            attributes,
            Vec::new(),
            content,
        );
        turn.content_truncated |= truncated;
        let cx = turn.cx.clone();
        self.inject(&cx, &mut req, ext);
        match next.run(req, ext).with_context(cx).await {
            Ok(response) => {
                turn.response_time = Some(turn.now());
                let status = response.status().as_u16();
                turn.set_attributes(crate::mapping::response_headers(status, response.headers()));
                let expected = response.content_length();
                let body = PlainBody::new(
                    turn,
                    PlainKind::Other(operation, known),
                    status,
                    self.config.max_body_bytes,
                    expected,
                );
                Ok(tap_response(response, body))
            }
            Err(err) => {
                turn.fail(&ErrorFacts::middleware(&err));
                let end = turn.now();
                turn.end(end);
                Err(err)
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
