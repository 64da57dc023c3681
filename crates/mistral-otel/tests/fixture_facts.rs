//! What each conversation fixture states, read from the fixture itself (the response JSON,
//! or a stream's own `*.expected.json`) with `serde_json` alone, and checked against the
//! spans: outputs per type, tool names and ids, function call ids, handoff targets, usage,
//! conversation id, outcome. An expectation that does not come from the code under test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use mistral_otel_test_support::golden::CONTENT_KEYS;
use mistral_otel_test_support::mock::{fixtures, send_case, server, traced_client};
use mistral_otel_test_support::{Recorder, attr, attr_i64, attr_str, client_span};
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value;

/// What a fixture says its call produced.
#[derive(Debug, Default, PartialEq)]
struct Facts {
    chats: BTreeSet<String>,
    tools: BTreeSet<(String, String)>,
    function_calls: BTreeSet<(String, String)>,
    handoffs: BTreeSet<String>,
    usage: Option<(i64, i64, i64)>,
    conversation_id: Option<String>,
    outcome: Option<String>,
}

fn facts_of_outputs(outputs: &[Value], facts: &mut Facts) {
    for out in outputs {
        let s = |k: &str| out[k].as_str().unwrap_or_default().to_owned();
        match out["type"].as_str().unwrap_or_default() {
            "message.output" => {
                facts.chats.insert(s("id"));
            }
            "tool.execution" => {
                facts.tools.insert((s("name"), s("id")));
            }
            "function.call" => {
                facts.function_calls.insert((s("name"), s("tool_call_id")));
            }
            "agent.handoff" => {
                facts.handoffs.insert(s("next_agent_name"));
            }
            _ => {}
        }
    }
}

fn usage_of(usage: &Value) -> Option<(i64, i64, i64)> {
    Some((
        usage["prompt_tokens"].as_i64()?,
        usage["completion_tokens"].as_i64()?,
        usage["total_tokens"].as_i64()?,
    ))
}

/// The facts the spans show.
fn facts_of_spans(spans: &[SpanData]) -> Facts {
    let turn = client_span(spans);
    let mut facts = Facts {
        conversation_id: attr_str(turn, "gen_ai.conversation.id"),
        outcome: attr_str(turn, "mistral_ai.stream.outcome"),
        ..Facts::default()
    };
    if let (Some(i), Some(o), Some(t)) = (
        attr_i64(turn, "gen_ai.usage.input_tokens"),
        attr_i64(turn, "gen_ai.usage.output_tokens"),
        attr_i64(turn, "mistral_ai.usage.total_tokens"),
    ) {
        facts.usage = Some((i, o, t));
    }
    for span in spans {
        match attr_str(span, "gen_ai.operation.name").as_deref() {
            Some("chat") => {
                facts
                    .chats
                    .insert(attr_str(span, "gen_ai.response.id").unwrap());
            }
            Some("execute_tool") => {
                facts.tools.insert((
                    attr_str(span, "gen_ai.tool.name").unwrap(),
                    attr_str(span, "gen_ai.tool.call.id").unwrap(),
                ));
            }
            Some("invoke_agent") if span.span_kind != opentelemetry::trace::SpanKind::Client => {
                facts
                    .handoffs
                    .insert(attr_str(span, "gen_ai.agent.name").unwrap());
            }
            _ => {}
        }
        for event in span
            .events
            .iter()
            .filter(|e| e.name == "mistral_ai.function_call")
        {
            let get = |k: &str| {
                event
                    .attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == k)
                    .map(|kv| kv.value.as_str().into_owned())
                    .unwrap()
            };
            facts
                .function_calls
                .insert((get("gen_ai.tool.name"), get("gen_ai.tool.call.id")));
        }
    }
    facts
}

#[tokio::test]
async fn every_conversation_fixture_traces_what_its_body_says() {
    let fixtures = fixtures("mistral");
    let server = server("mistral").await;
    let mut checked = 0;
    for case in fixtures.cases() {
        let turn_path = case.method == "POST"
            && case.path.starts_with("/v1/conversations")
            && case.status == 200;
        if !turn_path {
            continue;
        }
        let mut expected = Facts::default();
        if case.is_stream() {
            let agg = fixtures.expected_aggregate(case).unwrap();
            facts_of_outputs(agg["outputs"].as_array().unwrap(), &mut expected);
            expected.usage = usage_of(&agg["usage"]);
            expected.conversation_id = agg["conversation_id"].as_str().map(str::to_owned);
            expected.outcome = Some(
                match agg["terminal"].as_str().unwrap() {
                    "done" => "completed",
                    other => other,
                }
                .to_owned(),
            );
        } else {
            let body: Value =
                serde_json::from_slice(&fixtures.response_body(case).unwrap()).unwrap();
            facts_of_outputs(body["outputs"].as_array().unwrap(), &mut expected);
            expected.usage = usage_of(&body["usage"]);
            expected.conversation_id = body["conversation_id"].as_str().map(str::to_owned);
        }
        for capture in [false, true] {
            let recorder = Recorder::new();
            let held = send_case(
                &traced_client(&recorder, &server, capture),
                &fixtures,
                &server,
                &case.name,
            )
            .await;
            let spans = recorder.assert_all_exported(&case.name);
            drop(held);
            assert_eq!(
                facts_of_spans(&spans),
                expected,
                "{} capture={capture}",
                case.name
            );
            if !capture {
                for span in &spans {
                    for key in CONTENT_KEYS
                        .iter()
                        .filter(|k| **k != "gen_ai.tool.definitions")
                    {
                        assert!(
                            attr(span, key).is_none(),
                            "{}: {} carries {key} with capture off",
                            case.name,
                            span.name
                        );
                    }
                    for event in span.events.iter() {
                        assert!(
                            event
                                .attributes
                                .iter()
                                .all(|kv| kv.key.as_str() != "gen_ai.tool.call.arguments"),
                            "{}: arguments with capture off",
                            case.name
                        );
                    }
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 7, "start, append, restart and four streams");
}
