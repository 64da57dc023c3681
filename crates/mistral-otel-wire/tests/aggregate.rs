#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mistral_otel_wire::{Chunk, DeltaContent, StreamAggregate, StreamEvent, Usage};
use serde_json::json;

fn text(output_index: u32, content_index: u32, text: &str) -> StreamEvent {
    StreamEvent::MessageOutputDelta {
        output_index,
        content_index,
        id: Some(format!("msg_{output_index}")),
        model: None,
        agent_id: None,
        content: Some(DeltaContent::Text(text.into())),
    }
}

#[test]
fn text_joins_within_a_content_index_and_splits_across_indexes() {
    let mut agg = StreamAggregate::new();
    for event in [
        text(0, 0, "a"),
        text(0, 0, "b"),
        text(0, 1, "c"),
        StreamEvent::MessageOutputDelta {
            output_index: 0,
            content_index: 1,
            id: None,
            model: None,
            agent_id: None,
            content: Some(DeltaContent::Chunk(Chunk::Text { text: "d".into() })),
        },
        StreamEvent::MessageOutputDelta {
            output_index: 0,
            content_index: 2,
            id: None,
            model: None,
            agent_id: None,
            content: Some(DeltaContent::Chunk(Chunk::Unknown(
                json!({"type": "audio"}),
            ))),
        },
        text(0, 2, "e"),
    ] {
        agg.apply(&event);
    }
    let json = agg.to_expected_json();
    assert_eq!(
        json["outputs"][0]["content"],
        json!([
            {"type": "text", "text": "ab"},
            {"type": "text", "text": "cd"},
            {"type": "audio"},
            {"type": "text", "text": "e"},
        ])
    );
    assert_eq!(json["terminal"], "truncated");
    assert_eq!(json["event_count"], 6);
    assert_eq!(
        json["event_type_counts"],
        json!({"message.output.delta": 6})
    );
}

#[test]
fn outputs_are_ordered_by_output_index_not_arrival() {
    let mut agg = StreamAggregate::new();
    agg.apply(&text(1, 0, "second"));
    agg.apply(&text(0, 0, "first"));
    let json = agg.to_expected_json();
    assert_eq!(json["outputs"][0]["output_index"], 0);
    assert_eq!(json["outputs"][1]["content"][0]["text"], "second");
}

#[test]
fn an_event_of_another_kind_at_a_taken_index_is_ignored() {
    let mut agg = StreamAggregate::new();
    agg.apply(&text(0, 0, "hi"));
    agg.apply(&StreamEvent::ToolExecutionDelta {
        output_index: 0,
        id: Some("tool_exec_x".into()),
        name: Some("web_search".into()),
        arguments: Some("{}".into()),
    });
    let json = agg.to_expected_json();
    assert_eq!(json["outputs"][0]["type"], "message.output");
    assert_eq!(json["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(json["event_count"], 2);
}

#[test]
fn error_codes_render_as_numbers_when_numeric_and_strings_otherwise() {
    let mut numeric = StreamAggregate::new();
    numeric.apply(&StreamEvent::ResponseError {
        message: Some("m".into()),
        code: Some("3000".into()),
    });
    assert_eq!(
        numeric.to_expected_json()["error"],
        json!({"message": "m", "code": 3000})
    );
    assert_eq!(numeric.terminal(), "error");

    let mut text = StreamAggregate::new();
    text.apply(&StreamEvent::ResponseError {
        message: None,
        code: Some("E_X".into()),
    });
    assert_eq!(
        text.to_expected_json()["error"],
        json!({"message": null, "code": "E_X"})
    );
}

#[test]
fn the_first_terminal_event_ends_the_stream_and_later_events_are_only_counted() {
    let mut agg = StreamAggregate::new();
    agg.apply(&StreamEvent::ResponseError {
        message: Some("m".into()),
        code: None,
    });
    agg.apply(&StreamEvent::ResponseDone {
        usage: Usage {
            total_tokens: 5,
            ..Usage::default()
        },
    });
    assert_eq!(agg.terminal(), "error");
    assert!(
        agg.usage().is_none(),
        "a done after the error is not applied"
    );
    let json = agg.to_expected_json();
    assert_eq!(json["usage"], serde_json::Value::Null);
    assert_eq!(json["event_count"], 2);
}

#[test]
fn tool_execution_without_done_is_not_completed_and_unknown_events_are_counted() {
    let mut agg = StreamAggregate::new();
    agg.apply(&StreamEvent::ToolExecutionStarted {
        output_index: 0,
        id: Some("t".into()),
        name: Some("code_interpreter".into()),
        arguments: Some(String::new()),
        model: Some("m".into()),
        agent_id: Some("ag_1".into()),
    });
    agg.apply(&StreamEvent::ToolExecutionDelta {
        output_index: 0,
        id: None,
        name: None,
        arguments: Some("{\"code".into()),
    });
    agg.apply(&StreamEvent::Unknown {
        event_type: "tool.execution.progress".into(),
    });
    let json = agg.to_expected_json();
    assert_eq!(
        json["outputs"][0],
        json!({"output_index": 0, "type": "tool.execution", "id": "t", "name": "code_interpreter",
               "agent_id": "ag_1", "arguments": "{\"code", "info": null, "completed": false})
    );
    assert_eq!(json["event_type_counts"]["tool.execution.progress"], 1);
}
