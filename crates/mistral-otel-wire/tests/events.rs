#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mistral_otel_wire::{Chunk, DeltaContent, StreamEvent, Usage, WireError, decode_stream_event};
use serde_json::json;

fn decode(name: &str, data: &str) -> StreamEvent {
    decode_stream_event(name, data.as_bytes(), true).unwrap()
}

#[test]
fn unicode_escapes_with_surrogate_pairs_decode_to_the_right_chars() {
    let data = r#"{"type":"message.output.delta","output_index":0,"content_index":0,"id":"msg_\u0031",
        "content":"M\u00e9tropole \u2013 149 \u20ac \ud83c\udf89 \"q\" \\ \/"}"#;
    let StreamEvent::MessageOutputDelta { id, content, .. } = decode("message.output.delta", data)
    else {
        panic!()
    };
    assert_eq!(id.as_deref(), Some("msg_1"));
    assert_eq!(
        content,
        Some(DeltaContent::Text("Métropole – 149 € 🎉 \"q\" \\ /".into()))
    );
}

#[test]
fn escaped_keys_are_recognised() {
    let data = r#"{"\u0074ype":"conversation.response.started","conversation\u005fid":"conv_9"}"#;
    assert_eq!(
        decode("", data),
        StreamEvent::ResponseStarted {
            conversation_id: Some("conv_9".into())
        }
    );
}

#[test]
fn without_content_message_text_and_tool_info_are_none_but_arguments_stay() {
    let delta = br#"{"type":"message.output.delta","output_index":2,"content_index":1,"id":"msg_1","model":"m","content":"secret text"}"#;
    assert_eq!(
        decode_stream_event("message.output.delta", delta, false).unwrap(),
        StreamEvent::MessageOutputDelta {
            output_index: 2,
            content_index: 1,
            id: Some("msg_1".into()),
            model: Some("m".into()),
            agent_id: None,
            content: None,
        }
    );
    let chunk = br#"{"type":"message.output.delta","content":{"type":"tool_reference","tool":"web_search","title":"t"}}"#;
    let StreamEvent::MessageOutputDelta { content, .. } =
        decode_stream_event("message.output.delta", chunk, false).unwrap()
    else {
        panic!()
    };
    assert_eq!(content, None);
    let done = br#"{"type":"tool.execution.done","output_index":0,"id":"t1","name":"code_interpreter","info":{"code_output":"42"}}"#;
    let StreamEvent::ToolExecutionDone { info, name, .. } =
        decode_stream_event("tool.execution.done", done, false).unwrap()
    else {
        panic!()
    };
    assert_eq!((info, name.as_deref()), (None, Some("code_interpreter")));
    let tool = br#"{"type":"tool.execution.delta","output_index":0,"id":"t1","name":"code_interpreter","arguments":"{\"code"}"#;
    let StreamEvent::ToolExecutionDelta { arguments, .. } =
        decode_stream_event("tool.execution.delta", tool, false).unwrap()
    else {
        panic!()
    };
    assert_eq!(arguments.as_deref(), Some("{\"code"));
    let call = br#"{"type":"function.call.delta","output_index":0,"id":"fc_1","name":"f","tool_call_id":"c","arguments":"{}"}"#;
    let StreamEvent::FunctionCallDelta { arguments, .. } =
        decode_stream_event("function.call.delta", call, false).unwrap()
    else {
        panic!()
    };
    assert_eq!(arguments.as_deref(), Some("{}"));
}

#[test]
fn chunk_object_delta_becomes_a_chunk() {
    let data = r#"{"type":"message.output.delta","output_index":1,"content_index":1,
        "content":{"type":"tool_reference","tool":"web_search","title":"T","url":"https://u.example","favicon":null,"description":null,"source":"brave"}}"#;
    let StreamEvent::MessageOutputDelta {
        content,
        content_index,
        ..
    } = decode("message.output.delta", data)
    else {
        panic!()
    };
    assert_eq!(content_index, 1);
    assert_eq!(
        content,
        Some(DeltaContent::Chunk(Chunk::ToolReference {
            tool: "web_search".into(),
            title: "T".into(),
            url: Some("https://u.example".into()),
            favicon: None,
            description: None,
        }))
    );
}

#[test]
fn every_documented_event_decodes_to_its_variant() {
    assert_eq!(
        decode(
            "tool.execution.started",
            r#"{"output_index":0,"id":"t","model":"m","agent_id":"a","name":"web_search","arguments":"","function":"web_search"}"#
        ),
        StreamEvent::ToolExecutionStarted {
            output_index: 0,
            id: Some("t".into()),
            name: Some("web_search".into()),
            arguments: Some(String::new()),
            model: Some("m".into()),
            agent_id: Some("a".into()),
        }
    );
    assert_eq!(
        decode(
            "tool.execution.done",
            r#"{"output_index":3,"id":"t","name":"web_search","info":{}}"#
        ),
        StreamEvent::ToolExecutionDone {
            output_index: 3,
            id: Some("t".into()),
            name: Some("web_search".into()),
            info: Some(json!({}))
        }
    );
    assert_eq!(
        decode(
            "function.call.delta",
            r#"{"output_index":2,"id":"fc","model":"m","agent_id":"a","name":"f","tool_call_id":"c","arguments":"{","confirmation_status":"pending"}"#
        ),
        StreamEvent::FunctionCallDelta {
            output_index: 2,
            id: Some("fc".into()),
            name: Some("f".into()),
            tool_call_id: Some("c".into()),
            arguments: Some("{".into()),
            model: Some("m".into()),
            agent_id: Some("a".into()),
            confirmation_status: Some("pending".into()),
        }
    );
    assert_eq!(
        decode(
            "agent.handoff.started",
            r#"{"output_index":0,"id":"h","previous_agent_id":"a1","previous_agent_name":"A"}"#
        ),
        StreamEvent::HandoffStarted {
            output_index: 0,
            id: Some("h".into()),
            previous_agent_id: Some("a1".into()),
            previous_agent_name: Some("A".into())
        }
    );
    assert_eq!(
        decode(
            "agent.handoff.done",
            r#"{"output_index":0,"id":"h","next_agent_id":"a2","next_agent_name":"B"}"#
        ),
        StreamEvent::HandoffDone {
            output_index: 0,
            id: Some("h".into()),
            next_agent_id: Some("a2".into()),
            next_agent_name: Some("B".into())
        }
    );
    assert_eq!(
        decode(
            "conversation.response.done",
            r#"{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
        ),
        StreamEvent::ResponseDone {
            usage: Usage {
                prompt_tokens: 1,
                completion_tokens: 2,
                total_tokens: 3,
                ..Usage::default()
            }
        }
    );
}

#[test]
fn error_code_is_text_whether_integer_or_string() {
    let event = decode(
        "conversation.response.error",
        r#"{"message":"boom","code":3000}"#,
    );
    assert_eq!(
        event,
        StreamEvent::ResponseError {
            message: Some("boom".into()),
            code: Some("3000".into())
        }
    );
    let event = decode(
        "conversation.response.error",
        r#"{"message":"boom","code":"E42"}"#,
    );
    assert_eq!(
        event,
        StreamEvent::ResponseError {
            message: Some("boom".into()),
            code: Some("E42".into())
        }
    );
    let event = decode("conversation.response.error", r#"{"code":null}"#);
    assert_eq!(
        event,
        StreamEvent::ResponseError {
            message: None,
            code: None
        }
    );
}

#[test]
fn empty_or_message_event_name_falls_back_to_the_json_type() {
    let data = r#"{"type":"conversation.response.started","conversation_id":"c"}"#;
    let started = StreamEvent::ResponseStarted {
        conversation_id: Some("c".into()),
    };
    assert_eq!(decode("", data), started);
    assert_eq!(decode("message", data), started);
    assert_eq!(
        decode("message", r#"{"no_type":1}"#),
        StreamEvent::Unknown {
            event_type: "message".into()
        }
    );
}

#[test]
fn event_name_wins_over_the_json_type() {
    let event = decode(
        "conversation.response.started",
        r#"{"type":"something.else","conversation_id":"c"}"#,
    );
    assert_eq!(event.event_type(), "conversation.response.started");
}

#[test]
fn unknown_event_names_are_ok_unknown() {
    let event = decode(
        "conversation.response.in_progress",
        r#"{"type":"conversation.response.in_progress"}"#,
    );
    assert_eq!(
        event,
        StreamEvent::Unknown {
            event_type: "conversation.response.in_progress".into()
        }
    );
    assert_eq!(event.event_type(), "conversation.response.in_progress");
    assert_eq!(event.output_index(), None);
}

#[test]
fn wrong_types_duplicates_and_non_object_payloads_are_tolerated() {
    let event = decode(
        "message.output.delta",
        r#"{"output_index":"1","content_index":-1,"id":7,"model":null,"agent_id":["x"],"content":null,"id":"msg_2"}"#,
    );
    assert_eq!(
        event,
        StreamEvent::MessageOutputDelta {
            output_index: 0,
            content_index: 0,
            id: Some("msg_2".into()),
            model: None,
            agent_id: None,
            content: None
        }
    );
    assert_eq!(
        decode("conversation.response.done", "[1,2]"),
        StreamEvent::ResponseDone {
            usage: Usage::default()
        }
    );
    assert_eq!(
        decode("conversation.response.started", "null"),
        StreamEvent::ResponseStarted {
            conversation_id: None
        }
    );
    assert_eq!(
        decode("agent.handoff.done", r#"{"output_index":4294967296}"#).output_index(),
        Some(0)
    );
}

#[test]
fn data_that_is_not_json_is_an_error() {
    for data in [&b""[..], b"{\"partial", b"[DONE]", b"{} {}", b"\xff\xfe"] {
        assert!(
            matches!(
                decode_stream_event("message.output.delta", data, true),
                Err(WireError::Json(_))
            ),
            "{data:?}"
        );
    }
}
