//! Arbitrary bytes as a plain (non-streaming) body through every parser the middleware
//! runs on one: turn requests, agent requests, conversation responses, error envelopes,
//! and the cheap result facts of every operation; and, as text, through route matching
//! and timestamp parsing.
//!
//! Proves: no panic, and the documented error contract: the object parsers agree with
//! each other (Ok exactly for a JSON object), and result facts never fail on a body that
//! is a JSON object; route matching only ever takes whole, non-empty path segments as
//! ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mistral_otel_wire::{
    Operation, match_route, parse_agent_request, parse_conversation_response, parse_error_body,
    parse_result_facts, parse_timestamp, parse_turn_request,
};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fuzz_target!(|body: &[u8]| {
    // parse_error_body reads the body as a JSON value: Some exactly for an object
    let is_object = parse_error_body(body).is_some();
    assert_eq!(parse_turn_request(body).is_ok(), is_object);
    assert_eq!(parse_agent_request(body).is_ok(), is_object);
    assert_eq!(parse_conversation_response(body).is_ok(), is_object);
    // every endpoint: each reads different keys as facts
    for op in Operation::ALL {
        let facts = parse_result_facts(op, body);
        assert!(
            facts.is_ok() || !is_object,
            "{} facts fail on a JSON object: {facts:?}",
            op.name()
        );
        let _ = (op.url_template(), op.is_turn(), op.turn_kind());
    }
    if let Ok(text) = std::str::from_utf8(body) {
        for method in METHODS {
            if let Some(route) = match_route(method, text) {
                let ids = [
                    route.conversation_id,
                    route.agent_id,
                    route.library_id,
                    route.document_id,
                    route.agent_version,
                ];
                for id in ids.into_iter().flatten() {
                    assert!(
                        !id.is_empty() && !id.contains(['/', '?', '#']),
                        "{method} {text:?} gave the id {id:?} for {}",
                        route.operation.name()
                    );
                }
            }
        }
        let _ = parse_timestamp(text);
    }
});
