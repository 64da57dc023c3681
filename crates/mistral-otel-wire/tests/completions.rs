//! Completion and inference parsing: seeded mutations of the real recordings through every
//! parser (an error exactly when the input is not a JSON object, with or without content),
//! and the completion fold (a tool call split anywhere equals the call sent whole;
//! parallel calls stay apart; content beyond the budget is left out and flagged).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use mistral_otel_wire::{
    CompletionFold, Operation, decode_completion_chunk, decode_transcription_event,
    is_done_sentinel, parse_completion_request_with, parse_completion_response_with,
    parse_inference_request, parse_inference_response,
};
use serde_json::{Value, json};

fn real(folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/real"
    ))
    .join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "sse"))
        .filter(|p| !p.ends_with("manifest.json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    const SPECIAL: &[u8] = b":{}[]\",\\u0 \xff\xc3-e.";
    let mut out = input.to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(out.len() + 1);
        let byte = if rng.next().is_multiple_of(2) {
            SPECIAL[rng.below(SPECIAL.len())]
        } else {
            rng.next() as u8
        };
        match rng.below(3) {
            0 if at < out.len() => out[at] = byte,
            1 => out.insert(at, byte),
            _ if at < out.len() => {
                out.remove(at);
            }
            _ => {}
        }
    }
    out
}

fn is_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| v.is_object())
}

#[test]
fn every_parser_errs_exactly_when_the_input_is_not_a_json_object() {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for folder in ["braintrust-sdk-javascript", "ruby_llm", "openllmetry"] {
        for (name, bytes) in real(folder) {
            if name.ends_with(".sse") {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                inputs.extend(
                    text.lines()
                        .filter_map(|l| l.strip_prefix("data: "))
                        .filter(|d| !is_done_sentinel(d.as_bytes()))
                        .map(|d| d.as_bytes().to_vec()),
                );
            } else {
                inputs.push(bytes);
            }
        }
    }
    assert!(inputs.len() > 500, "{} inputs", inputs.len());
    let mut checked = 0;
    for (i, input) in inputs.iter().enumerate() {
        for seed in 0..4u64 {
            let mut rng = XorShift((i as u64 * 4 + seed + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let data = if seed == 0 {
                input.clone()
            } else {
                mutate(&mut rng, input)
            };
            let object = is_object(&data);
            // read in full, an input parses exactly when it is a JSON object; read without
            // content, the skipped values are not validated (invalid UTF-8 inside a skipped
            // string passes), so only a JSON object must parse
            let agrees = |ok: bool, skipping: bool| {
                if skipping {
                    ok || !object
                } else {
                    ok == object
                }
            };
            for content in [false, true] {
                let skipping = !content;
                assert!(agrees(
                    decode_completion_chunk(&data, content).is_ok(),
                    false
                ));
                assert!(agrees(
                    parse_completion_response_with(&data, content).is_ok(),
                    skipping
                ));
                assert!(agrees(
                    parse_completion_request_with(&data, content).is_ok(),
                    skipping
                ));
                for op in [
                    Operation::Embeddings,
                    Operation::ChatModeration,
                    Operation::Ocr,
                ] {
                    assert!(agrees(
                        parse_inference_request(op, &data, content).is_ok(),
                        skipping
                    ));
                    assert!(agrees(
                        parse_inference_response(op, &data, content).is_ok(),
                        false
                    ));
                }
                assert!(agrees(
                    decode_transcription_event("", &data, content).is_ok(),
                    false
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 2000);
}

fn chunk(calls: Value, finish: Option<&str>) -> Vec<u8> {
    json!({"id": "c", "model": "m", "choices": [
        {"index": 0, "delta": {"tool_calls": calls}, "finish_reason": finish}
    ]})
    .to_string()
    .into_bytes()
}

fn fold_of(chunks: &[Vec<u8>]) -> CompletionFold<u32> {
    let mut fold = CompletionFold::new(Some(1 << 16));
    for (at, data) in chunks.iter().enumerate() {
        fold.apply(decode_completion_chunk(data, true).unwrap(), at as u32);
    }
    fold
}

#[test]
fn a_tool_call_split_anywhere_equals_the_call_sent_whole() {
    let arguments = r#"{"city": "São Paulo", "unit": "celsius"}"#;
    let whole = fold_of(&[chunk(
        json!([{"id": "call_a", "type": "function", "index": 0,
                "function": {"name": "get_weather", "arguments": arguments}}]),
        Some("tool_calls"),
    )])
    .response();
    let chars: Vec<char> = arguments.chars().collect();
    for cut in 1..chars.len() {
        let (a, b): (String, String) =
            (chars[..cut].iter().collect(), chars[cut..].iter().collect());
        let split = fold_of(&[
            chunk(
                json!([{"id": "call_a", "type": "function", "index": 0,
                        "function": {"name": "get_weather", "arguments": a}}]),
                None,
            ),
            // later pieces carry neither id nor name (as OpenAI-style streams send them)
            chunk(
                json!([{"index": 0, "function": {"arguments": b}}]),
                Some("tool_calls"),
            ),
        ])
        .response();
        assert_eq!(split, whole, "cut at {cut}");
    }
}

#[test]
fn parallel_calls_stay_apart_and_calls_without_index_match_by_id() {
    let fold = fold_of(&[
        chunk(
            json!([{"id": "a", "index": 0, "function": {"name": "f", "arguments": "{\"x\":"}},
                   {"id": "b", "index": 1, "function": {"name": "g", "arguments": "{\"y\":"}}]),
            None,
        ),
        chunk(json!([{"index": 1, "function": {"arguments": "2}"}}]), None),
        chunk(json!([{"index": 0, "function": {"arguments": "1}"}}]), None),
        // 2024 recordings: no index, no type
        chunk(
            json!([{"id": "c", "function": {"name": "h", "arguments": "{}"}}]),
            None,
        ),
        chunk(
            json!([{"id": "c", "function": {"arguments": ""}}]),
            Some("tool_calls"),
        ),
    ]);
    let calls: Vec<(String, String, String, u32)> = fold
        .tool_calls()
        .map(|c| {
            (
                c.call.id.clone().unwrap(),
                c.call.name.clone(),
                c.call.arguments.clone(),
                c.first,
            )
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            ("a".into(), "f".into(), "{\"x\":1}".into(), 0),
            ("b".into(), "g".into(), "{\"y\":2}".into(), 0),
            ("c".into(), "h".into(), "{}".into(), 3),
        ]
    );
    assert!(fold.all_finished());
}

#[test]
fn content_beyond_the_budget_is_left_out_and_flagged_while_facts_stay() {
    let text = |s: &str, finish: Option<&str>| {
        json!({"id": "c", "model": "m", "choices": [
            {"index": 0, "delta": {"content": s}, "finish_reason": finish}]})
        .to_string()
        .into_bytes()
    };
    let mut fold = CompletionFold::<u32>::new(Some(10));
    for (at, data) in [
        text("12345", None),
        text("678901234", None),
        text("", Some("stop")),
    ]
    .iter()
    .enumerate()
    {
        fold.apply(decode_completion_chunk(data, true).unwrap(), at as u32);
    }
    assert!(fold.content_truncated());
    let response = fold.response();
    assert_eq!(response.choices[0].finish_reason.as_deref(), Some("stop"));
    assert_eq!(fold.first_output(), Some(0));
    assert_eq!(fold.last_output(), Some(1));
    let kept = format!("{:?}", response.choices[0].message.content);
    assert!(
        kept.contains("12345") && !kept.contains("678901234"),
        "{kept}"
    );
    // without capture nothing is kept and nothing is flagged
    let mut bare = CompletionFold::<u32>::new(None);
    bare.apply(
        decode_completion_chunk(&text("12345", None), false).unwrap(),
        0,
    );
    assert!(!bare.content_truncated());
    assert_eq!(bare.first_output(), Some(0));
}
