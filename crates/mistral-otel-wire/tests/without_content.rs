//! `parse_conversation_response_with` and `parse_turn_request_with` without content read
//! every span fact exactly as the full parsers do, and leave only the content out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{
    Content, ConversationResponse, Entry, Inputs, TurnRequest, WireError,
    parse_conversation_response, parse_conversation_response_with, parse_turn_request,
    parse_turn_request_with,
};

/// The full parse with the content fields blanked as the content-free parse documents.
fn blank_response(mut response: ConversationResponse) -> ConversationResponse {
    for entry in &mut response.outputs {
        match entry {
            Entry::MessageInput(m) => m.content = Content::default(),
            Entry::MessageOutput(m) => m.content = Content::default(),
            Entry::ToolExecution(t) => {
                t.info = None;
                t.arguments.clear();
            }
            Entry::FunctionCall(c) => c.arguments.clear(),
            Entry::FunctionResult(r) => r.result.clear(),
            Entry::AgentHandoff(_) | Entry::Unknown { .. } => {}
        }
    }
    response
}

fn blank_request(mut request: TurnRequest) -> TurnRequest {
    request.inputs = None;
    request.instructions = None;
    for tool in &mut request.tools {
        if let Some(function) = &mut tool.function {
            function.parameters = None;
        }
    }
    request
}

const EVERY_ENTRY_KIND: &str = r#"{
    "conversation_id": "conv_1",
    "outputs": [
        {"type":"message.input","id":"msg_0","role":"user","content":"hi","prefix":true,
         "created_at":"2026-03-10T10:00:00Z","completed_at":"2026-03-10T10:00:01Z"},
        {"type":"tool.execution","id":"tool_1","name":"web_search","arguments":"{\"q\":1}",
         "info":{"results":[1,2]},"model":"m","agent_id":"ag_1","created_at":"t0"},
        {"type":"function.call","id":"fc_1","tool_call_id":"call_1","name":"f",
         "arguments":{"a":1},"confirmation_status":"pending","model":"m"},
        {"type":"function.result","id":"fr_1","tool_call_id":"call_1","result":"42"},
        {"type":"agent.handoff","id":"h_1","previous_agent_id":"ag_1","previous_agent_name":"A",
         "next_agent_id":"ag_2","next_agent_name":"B","completed_at":"t1"},
        {"type":"message.output","id":"msg_1","model":"m","agent_id":"ag_2","role":"assistant",
         "content":[{"type":"text","text":"secret"},{"type":"tool_reference","tool":"web_search","title":"t"}]},
        {"role":"user","content":"short form"},
        {"type":"mystery","content":"x"},
        {"type":null,"id":"odd"},
        7
    ],
    "usage": {"prompt_tokens":3,"completion_tokens":4,"total_tokens":9,"connector_tokens":2,
              "connectors":{"web_search":1}}
}"#;

#[test]
fn response_without_content_equals_the_full_parse_with_content_blanked() {
    let mut bodies = vec![EVERY_ENTRY_KIND.as_bytes().to_vec()];
    for name in ["start_web_search", "append", "restart"] {
        bodies.push(fixture(&format!("{name}.response.json")));
    }
    for body in bodies {
        let full = parse_conversation_response(&body).unwrap();
        assert!(!full.outputs.is_empty());
        assert_eq!(
            parse_conversation_response_with(&body, false).unwrap(),
            blank_response(full.clone())
        );
        assert_eq!(parse_conversation_response_with(&body, true).unwrap(), full);
    }
}

#[test]
fn response_without_content_keeps_span_facts_of_every_entry_kind() {
    let response = parse_conversation_response_with(EVERY_ENTRY_KIND.as_bytes(), false).unwrap();
    let kinds: Vec<&str> = response.outputs.iter().map(Entry::kind).collect();
    assert_eq!(
        kinds,
        [
            "message.input",
            "tool.execution",
            "function.call",
            "function.result",
            "agent.handoff",
            "message.output",
            "message.input",
            "mystery",
            "",
            ""
        ]
    );
    let Entry::FunctionCall(call) = &response.outputs[2] else {
        panic!()
    };
    assert_eq!(
        (
            call.tool_call_id.as_str(),
            call.name.as_str(),
            call.arguments.as_str()
        ),
        ("call_1", "f", "")
    );
    let Entry::AgentHandoff(handoff) = &response.outputs[4] else {
        panic!()
    };
    assert_eq!(handoff.next_agent_name.as_deref(), Some("B"));
    assert_eq!(
        response.usage.unwrap().connectors,
        [("web_search".to_owned(), 1)]
    );
}

#[test]
fn response_without_content_rejects_what_the_full_parse_rejects() {
    assert!(matches!(
        parse_conversation_response_with(b"[1]", false),
        Err(WireError::NotAnObject)
    ));
    assert!(matches!(
        parse_conversation_response_with(b"{\"outputs\":[", false),
        Err(WireError::Json(_))
    ));
    // lenient as before: outputs of the wrong type read as none
    let response = parse_conversation_response_with(br#"{"outputs":{"a":1},"usage":5}"#, false);
    assert_eq!(response.unwrap(), ConversationResponse::default());
}

const TURN_WITH_EVERYTHING: &str = r#"{
    "inputs": [{"role":"user","content":"secret"}],
    "instructions": "be brief",
    "model": "mistral-medium-latest",
    "agent_id": "ag_1",
    "agent_version": 3,
    "name": "n",
    "description": "d",
    "stream": true,
    "store": false,
    "handoff_execution": "server",
    "from_entry_id": "msg_9",
    "guardrails": [{"block_on_error": true}],
    "metadata": {"k": "v"},
    "tool_confirmations": [{"tool_call_id":"c","confirmation":"allow"}],
    "completion_args": {"temperature":0.3,"max_tokens":100,"stop":"END",
                        "response_format":{"type":"json_object"},"tool_choice":"auto"},
    "tools": [
        {"type":"function","function":{"name":"get_weather","description":"w",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}},
        {"type":"document_library","library_ids":["lib_1"]},
        {"type":"connector","connector_id":"gmail","authorization":"secret"},
        {"type":"web_search"}
    ]
}"#;

#[test]
fn turn_request_without_content_equals_the_full_parse_with_content_blanked() {
    let mut bodies = vec![TURN_WITH_EVERYTHING.as_bytes().to_vec()];
    for name in [
        "start_web_search",
        "append",
        "restart",
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
    ] {
        bodies.push(fixture(&format!("{name}.request.json")));
    }
    for body in bodies {
        let full = parse_turn_request(&body).unwrap();
        assert_eq!(
            parse_turn_request_with(&body, false).unwrap(),
            blank_request(full.clone())
        );
        assert_eq!(parse_turn_request_with(&body, true).unwrap(), full);
    }
}

#[test]
fn turn_request_without_content_keeps_tools_and_completion_args() {
    let full = parse_turn_request(TURN_WITH_EVERYTHING.as_bytes()).unwrap();
    assert!(matches!(full.inputs, Some(Inputs::Entries(_))));
    let req = parse_turn_request_with(TURN_WITH_EVERYTHING.as_bytes(), false).unwrap();
    assert_eq!((req.inputs, req.instructions), (None, None));
    let names: Vec<&str> = req.tools.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        ["get_weather", "document_library", "gmail", "web_search"]
    );
    assert_eq!(req.tools[1].library_ids, ["lib_1"]);
    let args = req.completion_args.unwrap();
    assert_eq!(args.raw, full.completion_args.unwrap().raw);
    assert_eq!(args.stop, ["END"]);
    let function = req.tools[0].function.as_ref().unwrap();
    assert_eq!(
        (function.parameters.as_ref(), function.strict),
        (None, Some(true))
    );
}
