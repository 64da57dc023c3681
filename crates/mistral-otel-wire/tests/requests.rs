#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{
    AgentVersion, Content, Entry, Inputs, ToolDefinition, WireError, parse_agent_request,
    parse_turn_request,
};
use serde_json::json;

fn tool(kind: &str) -> ToolDefinition {
    ToolDefinition {
        kind: kind.into(),
        function: None,
        library_ids: Vec::new(),
        connector_id: None,
    }
}

#[test]
fn start_web_search_request_reads_model_tools_args_name_and_metadata() {
    let req = parse_turn_request(&fixture("start_web_search.request.json")).unwrap();
    assert_eq!(
        req.inputs,
        Some(Inputs::Text(
            "What is the estimated population of Lyon today, and how has it changed over the last ten years?".into()
        ))
    );
    assert_eq!(req.stream, Some(false));
    assert_eq!(req.store, Some(true));
    assert_eq!(
        req.instructions.as_deref(),
        Some("You are a concise research assistant. Cite your sources.")
    );
    assert_eq!(req.tools, vec![tool("web_search")]);
    assert_eq!(req.tools[0].name(), "web_search");
    let args = req.completion_args.unwrap();
    assert_eq!(args.temperature, Some(0.3));
    assert_eq!(args.top_p, Some(0.95));
    assert_eq!(args.max_tokens, Some(1024));
    assert!(args.stop.is_empty());
    assert_eq!(
        args.raw,
        json!({"temperature": 0.3, "top_p": 0.95, "max_tokens": 1024})
    );
    assert_eq!(req.name.as_deref(), Some("lyon-population"));
    assert_eq!(
        req.metadata,
        Some(json!({"team": "research", "ticket": "RES-1042"}))
    );
    assert_eq!(req.model.as_deref(), Some("mistral-medium-latest"));
    assert_eq!(req.agent_id, None);
}

#[test]
fn append_request_reads_store_handoff_execution_and_args() {
    let req = parse_turn_request(&fixture("append.request.json")).unwrap();
    assert_eq!(
        req.inputs,
        Some(Inputs::Text(
            "Summarise that in one sentence, in French.".into()
        ))
    );
    assert_eq!(req.stream, Some(false));
    assert_eq!(req.store, Some(true));
    assert_eq!(req.handoff_execution.as_deref(), Some("server"));
    assert_eq!(req.completion_args.unwrap().temperature, Some(0.2));
    assert_eq!(req.model, None);
}

#[test]
fn restart_request_reads_from_entry_id_and_metadata() {
    let req = parse_turn_request(&fixture("restart.request.json")).unwrap();
    assert_eq!(
        req.from_entry_id.as_deref(),
        Some("msg_019cd7065b2e7c118c86ac0f047f5060")
    );
    assert_eq!(req.metadata.unwrap()["branch"], "marseille");
}

#[test]
fn stream_tools_request_reads_entry_inputs_without_prefix() {
    let req = parse_turn_request(&fixture("start_stream_tools.request.json")).unwrap();
    assert_eq!(req.stream, Some(true));
    let Some(Inputs::Entries(entries)) = req.inputs else {
        panic!("entries expected")
    };
    let [Entry::MessageInput(input)] = entries.as_slice() else {
        panic!("{entries:?}")
    };
    assert_eq!(input.role, "user");
    assert!(!input.prefix);
    assert_eq!(
        input.content,
        Content::Text(
            "What time does the sun set in Reykjavik on June 21, and when does it rise again?"
                .into()
        )
    );
}

#[test]
fn agent_handoff_request_reads_agent_id_and_numeric_version() {
    let req = parse_turn_request(&fixture("start_stream_agent_handoff.request.json")).unwrap();
    assert_eq!(
        req.agent_id.as_deref(),
        Some("ag_019cad8fbf88776b883159fcb56e5352")
    );
    assert_eq!(req.agent_version, Some(AgentVersion::Number(2)));
    assert_eq!(req.agent_version.unwrap().to_string(), "2");
    assert_eq!(req.handoff_execution.as_deref(), Some("server"));
    let Some(Inputs::Entries(entries)) = req.inputs else {
        panic!("entries expected")
    };
    let [Entry::MessageInput(input)] = entries.as_slice() else {
        panic!("{entries:?}")
    };
    assert!(!input.prefix);
}

#[test]
fn function_result_request_reads_the_result_entry() {
    let req = parse_turn_request(&fixture("append_stream_function_result.request.json")).unwrap();
    let Some(Inputs::Entries(entries)) = req.inputs else {
        panic!("entries expected")
    };
    let [Entry::FunctionResult(result)] = entries.as_slice() else {
        panic!("{entries:?}")
    };
    assert_eq!(result.tool_call_id, "OqIjrMNyX");
    assert!(result.result.starts_with("{\"invoice_id\": \"INV-20391\""));
}

#[test]
fn error_and_stream_error_requests_parse() {
    let req = parse_turn_request(&fixture("error_422.request.json")).unwrap();
    assert_eq!(req.completion_args.unwrap().temperature, Some(1.7));
    let req = parse_turn_request(&fixture("start_stream_error.request.json")).unwrap();
    assert_eq!((req.stream, req.store), (Some(true), Some(false)));
    assert_eq!(req.model.as_deref(), Some("mistral-small-latest"));
}

#[test]
fn agent_create_request_reads_agent_fields() {
    let req = parse_agent_request(&fixture("agent_create.request.json")).unwrap();
    assert_eq!(req.name.as_deref(), Some("triage-agent"));
    assert_eq!(req.model.as_deref(), Some("mistral-medium-latest"));
    assert_eq!(
        req.description.as_deref(),
        Some("First-line support agent that routes requests.")
    );
    assert!(
        req.instructions
            .unwrap()
            .starts_with("Work out what the customer needs.")
    );
    assert_eq!(req.tools, vec![tool("web_search")]);
    assert_eq!(
        req.handoffs,
        vec!["ag_019cad8e776878b5949bb07a48e05c1c".to_owned()]
    );
    assert_eq!(req.completion_args.unwrap().temperature, Some(0.2));
}

#[test]
fn library_create_request_is_an_object_with_no_turn_fields() {
    let req = parse_turn_request(&fixture("library_create.request.json")).unwrap();
    assert_eq!(req.name.as_deref(), Some("Support handbook"));
    assert_eq!(req.inputs, None);
}

#[test]
fn agent_version_alias_string_is_kept() {
    let req = parse_turn_request(br#"{"agent_id":"ag_1","agent_version":"production"}"#).unwrap();
    assert_eq!(
        req.agent_version,
        Some(AgentVersion::Alias("production".into()))
    );
    assert_eq!(req.agent_version.unwrap().to_string(), "production");
}

#[test]
fn stop_as_string_list_or_null() {
    let stop = |body: &str| {
        parse_turn_request(body.as_bytes())
            .unwrap()
            .completion_args
            .unwrap()
            .stop
    };
    assert_eq!(
        stop(r#"{"completion_args":{"stop":"END"}}"#),
        vec!["END".to_owned()]
    );
    assert_eq!(
        stop(r#"{"completion_args":{"stop":["a","b"]}}"#),
        vec!["a".to_owned(), "b".to_owned()]
    );
    assert!(stop(r#"{"completion_args":{"stop":null}}"#).is_empty());
    assert!(stop(r#"{"completion_args":{}}"#).is_empty());
}

#[test]
fn completion_args_read_every_documented_field() {
    let req = parse_turn_request(
        br#"{"completion_args":{"temperature":0,"top_p":1,"max_tokens":64,"random_seed":7,
        "frequency_penalty":-0.5,"presence_penalty":0.5,"tool_choice":"any","reasoning_effort":"high",
        "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}},
        "prediction":{"type":"content","content":"x"}}}"#,
    )
    .unwrap();
    let args = req.completion_args.unwrap();
    assert_eq!(args.temperature, Some(0.0));
    assert_eq!(args.top_p, Some(1.0));
    assert_eq!(args.max_tokens, Some(64));
    assert_eq!(args.random_seed, Some(7));
    assert_eq!(args.frequency_penalty, Some(-0.5));
    assert_eq!(args.presence_penalty, Some(0.5));
    assert_eq!(args.tool_choice.as_deref(), Some("any"));
    assert_eq!(args.reasoning_effort.as_deref(), Some("high"));
    assert_eq!(args.response_format.as_deref(), Some("json_schema"));
    assert_eq!(args.raw["prediction"]["type"], "content");
}

#[test]
fn function_call_input_with_object_arguments_becomes_json_text() {
    let req = parse_turn_request(
        br#"{"inputs":[{"type":"function.call","tool_call_id":"c1","name":"f","arguments":{"x":1}}]}"#,
    )
    .unwrap();
    let Some(Inputs::Entries(entries)) = req.inputs else {
        panic!("entries expected")
    };
    let [Entry::FunctionCall(call)] = entries.as_slice() else {
        panic!("{entries:?}")
    };
    assert_eq!(call.arguments, r#"{"x":1}"#);
}

#[test]
fn unknown_fields_wrong_types_and_nulls_are_tolerated() {
    let req = parse_turn_request(
        br#"{"inputs":null,"stream":"yes","store":null,"model":42,"future_field":{"a":[1]},
        "tools":null,"completion_args":"fast","metadata":null,"agent_version":true}"#,
    )
    .unwrap();
    assert_eq!(req, Default::default());
}

#[test]
fn unknown_tool_types_and_tool_names() {
    let req = parse_turn_request(
        br#"{"tools":[{"type":"quantum_oracle","tool_configuration":null},
        {"type":"function","function":{"name":"lookup_invoice","description":"d","parameters":{"type":"object"},"strict":true}},
        {"type":"document_library","library_ids":["lib-1","lib-2"]},
        {"type":"web_search_premium","tool_configuration":{"exclude":null,"include":null,"requires_confirmation":["x"]}},
        "not a tool"]}"#,
    )
    .unwrap();
    let names: Vec<&str> = req.tools.iter().map(ToolDefinition::name).collect();
    assert_eq!(
        names,
        [
            "quantum_oracle",
            "lookup_invoice",
            "document_library",
            "web_search_premium"
        ]
    );
    let function = req.tools[1].function.as_ref().unwrap();
    assert_eq!(function.description.as_deref(), Some("d"));
    assert_eq!(function.parameters, Some(json!({"type": "object"})));
    assert_eq!(function.strict, Some(true));
    assert_eq!(req.tools[2].library_ids, ["lib-1", "lib-2"]);
}

#[test]
fn connector_authorization_is_never_kept() {
    let secret = "sk-live-connector-secret-123";
    let body = format!(
        r#"{{"inputs":"hi","tools":[{{"type":"connector","connector_id":"github",
        "authorization":{{"type":"api-key","value":"{secret}"}}}}]}}"#
    );
    let req = parse_turn_request(body.as_bytes()).unwrap();
    assert_eq!(req.tools[0].name(), "github");
    assert_eq!(req.tools[0].connector_id.as_deref(), Some("github"));
    assert!(!format!("{req:?}").contains(secret));
    let agent = parse_agent_request(body.as_bytes()).unwrap();
    assert!(!format!("{agent:?}").contains(secret));
}

#[test]
fn single_entry_object_inputs_become_one_entry() {
    let req = parse_turn_request(br#"{"inputs":{"role":"user","content":"hi"}}"#).unwrap();
    let Some(Inputs::Entries(entries)) = req.inputs else {
        panic!("entries expected")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind(), "message.input");
}

#[test]
fn non_object_and_non_json_bodies_are_errors() {
    assert!(matches!(
        parse_turn_request(b"[1]"),
        Err(WireError::NotAnObject)
    ));
    assert!(matches!(
        parse_turn_request(b"\"x\""),
        Err(WireError::NotAnObject)
    ));
    assert!(matches!(
        parse_turn_request(b"{\"inputs\":"),
        Err(WireError::Json(_))
    ));
    assert!(matches!(parse_turn_request(b""), Err(WireError::Json(_))));
    assert!(matches!(
        parse_agent_request(b"null"),
        Err(WireError::NotAnObject)
    ));
    let err = parse_turn_request(b"nope").unwrap_err();
    assert!(err.to_string().contains("not valid JSON"));
    assert!(std::error::Error::source(&err).is_some());
}
