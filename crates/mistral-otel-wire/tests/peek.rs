#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{SseParser, decode_stream_event, peek_output_index};
use serde_json::Value;

fn peek(data: &str) -> Option<u32> {
    peek_output_index(data.as_bytes())
}

#[test]
fn top_level_output_index_is_found_wherever_it_sits() {
    assert_eq!(peek(r#"{"output_index":0}"#), Some(0));
    assert_eq!(
        peek(r#"{"type":"x","id":"m","output_index":17,"content":"hi"}"#),
        Some(17)
    );
    assert_eq!(peek(r#"  {"type":"x","output_index":  9 ,"a":1}"#), Some(9));
    assert_eq!(peek("{\"output_index\":\n\t12}"), Some(12));
    assert_eq!(peek(r#"{"output_index":4294967295}"#), Some(u32::MAX));
}

#[test]
fn absent_or_non_integer_values_give_none() {
    assert_eq!(peek(r#"{"type":"conversation.response.done"}"#), None);
    assert_eq!(peek(r#"{"output_index":null}"#), None);
    assert_eq!(peek(r#"{"output_index":"3"}"#), None);
    assert_eq!(peek(r#"{"output_index":-1}"#), None);
    assert_eq!(peek(r#"{"output_index":1.5}"#), None);
    assert_eq!(peek(r#"{"output_index":1e3}"#), None);
    assert_eq!(peek(r#"{"output_index":4294967296}"#), None);
    assert_eq!(peek(r#"{"output_index":}"#), None);
    assert_eq!(peek(r#"{"output_index":"#), None);
    assert_eq!(peek(""), None);
}

#[test]
fn the_key_inside_a_string_value_is_not_taken() {
    // escaped quotes: the text `"output_index":5` inside a string
    assert_eq!(
        peek(r#"{"content":"\"output_index\":5","output_index":2}"#),
        Some(2)
    );
    assert_eq!(peek(r#"{"content":"\"output_index\":5"}"#), None);
    // a string ending in a backslash must not hide the real key
    assert_eq!(peek(r#"{"a":"x\\","output_index":6}"#), Some(6));
    assert_eq!(
        peek(r#"{"a":"\\\"output_index\":1","output_index":3}"#),
        Some(3)
    );
}

#[test]
fn nested_objects_and_arrays_with_the_key_are_skipped() {
    assert_eq!(peek(r#"{"info":{"output_index":5}}"#), None);
    assert_eq!(
        peek(r#"{"info":{"output_index":5},"output_index":1}"#),
        Some(1)
    );
    assert_eq!(
        peek(r#"{"l":[{"output_index":5}],"output_index":8}"#),
        Some(8)
    );
    assert_eq!(
        peek(r#"{"s":"{[","info":{"a":"}"},"output_index":2}"#),
        Some(2)
    );
    assert_eq!(peek(r#"[{"output_index":5}]"#), None);
    assert_eq!(peek(r#""output_index":5"#), None);
}

#[test]
fn doubtful_shapes_give_none() {
    // the top-level object closes before the key
    assert_eq!(peek(r#"{}{"output_index":5}"#), None);
    // unterminated string before the key
    assert_eq!(peek(r#"{"a":"output_index\":5"#), None);
    // a key spelled with escapes is not recognised
    assert_eq!(peek(r#"{"output\u005findex":5}"#), None);
}

#[test]
fn agrees_with_decode_on_every_fixture_event() {
    let mut checked = 0;
    for name in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
        "start_stream_error",
    ] {
        let body = fixture(&format!("{name}.sse"));
        let mut parser = SseParser::new();
        parser
            .push(&body, |event| {
                let json: Value = serde_json::from_slice(event.data).unwrap();
                let expected = json["output_index"]
                    .as_u64()
                    .map(|n| u32::try_from(n).unwrap());
                assert_eq!(peek_output_index(event.data), expected, "{}", event.event);
                let decoded = decode_stream_event(event.event, event.data, true).unwrap();
                if let Some(n) = decoded.output_index() {
                    assert_eq!(expected, Some(n), "{}", event.event);
                }
                checked += 1;
            })
            .unwrap();
        parser.finish(|_| {}).unwrap();
    }
    assert!(checked > 50, "only {checked} events");
}
