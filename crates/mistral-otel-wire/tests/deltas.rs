//! The one-scan delta readers agree with the full decoders: whenever
//! `peek_text_delta` / `peek_chunk_text` answer, `decode_stream_event` /
//! `decode_completion_chunk` decode the same facts; and a fold fed through the hot paths
//! ends where a fold fed only full decodes ends. Over every recorded stream and seeded
//! mutations of their events.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use mistral_otel_wire::{
    ChunkReader, CompletionFold, DeltaContent, SseParser, StreamEvent, StreamFold, TextDeltaReader,
    decode_completion_chunk, decode_stream_event, is_done_sentinel, peek_chunk_text,
    peek_text_delta,
};

fn files(dirs: &[&str], ext: &str) -> Vec<Vec<u8>> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"));
    let mut out = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == ext) {
                out.push(std::fs::read(path).unwrap());
            }
        }
    }
    out
}

fn events(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    parser
        .push(body, |e| out.push((e.event.to_owned(), e.data.to_vec())))
        .unwrap();
    parser
        .finish(|e| out.push((e.event.to_owned(), e.data.to_vec())))
        .unwrap();
    out
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The data and seeded mutations of it (bytes the scan cares about).
fn variants(data: &[u8], seed: u64) -> Vec<Vec<u8>> {
    const SPECIAL: &[u8] = b"\"\\{}[],:0123456789 -.eEtfnul\xff\x01";
    let mut rng = XorShift(seed | 1);
    let mut out = vec![data.to_vec()];
    for _ in 0..24 {
        let mut v = data.to_vec();
        for _ in 0..=(rng.next() % 3) {
            let at = (rng.next() as usize) % (v.len() + 1);
            let byte = SPECIAL[(rng.next() as usize) % SPECIAL.len()];
            match rng.next() % 3 {
                0 if at < v.len() => v[at] = byte,
                1 => v.insert(at, byte),
                _ if at < v.len() => {
                    v.remove(at);
                }
                _ => {}
            }
        }
        out.push(v);
    }
    out
}

#[test]
fn a_text_delta_read_in_one_scan_is_what_the_full_decoder_reads() {
    let mut answered = 0;
    let bodies = files(&["mistral", "features"], "sse");
    for (b, body) in bodies.iter().enumerate() {
        for (e, (name, data)) in events(body).into_iter().enumerate() {
            if name != "message.output.delta" {
                continue;
            }
            for data in variants(&data, (b * 1000 + e) as u64) {
                let Some(delta) = peek_text_delta(&data) else {
                    continue;
                };
                answered += 1;
                match decode_stream_event(&name, &data, true) {
                    Ok(StreamEvent::MessageOutputDelta {
                        output_index,
                        content_index,
                        content,
                        ..
                    }) => {
                        assert_eq!(output_index, delta.output_index);
                        assert_eq!(content_index, delta.content_index);
                        assert_eq!(
                            content,
                            Some(DeltaContent::Text(delta.text.into_owned())),
                            "{}",
                            String::from_utf8_lossy(&data)
                        );
                    }
                    other => panic!(
                        "peek answered, decode gave {other:?} for {}",
                        String::from_utf8_lossy(&data)
                    ),
                }
            }
        }
    }
    assert!(answered > 100, "{answered}");
}

#[test]
fn a_chunk_read_in_one_scan_is_what_the_full_decoder_reads() {
    let mut answered = 0;
    let bodies = files(
        &[
            "api",
            "real/braintrust-sdk-javascript",
            "real/ruby_llm",
            "real/openllmetry",
        ],
        "sse",
    );
    for (b, body) in bodies.iter().enumerate() {
        for (e, (_, data)) in events(body).into_iter().enumerate() {
            if is_done_sentinel(&data) {
                continue;
            }
            for data in variants(&data, (b * 1000 + e) as u64) {
                let Some(chunk) = peek_chunk_text(&data) else {
                    continue;
                };
                answered += 1;
                let full = decode_completion_chunk(&data, true).unwrap_or_else(|err| {
                    panic!(
                        "peek answered, decode failed ({err}): {}",
                        String::from_utf8_lossy(&data)
                    )
                });
                assert!(full.usage.is_none() && full.error.is_none());
                assert_eq!(full.choices.len(), 1, "{}", String::from_utf8_lossy(&data));
                let choice = &full.choices[0];
                assert_eq!(choice.index, chunk.index);
                assert_eq!(choice.finish_reason, None);
                assert!(choice.tool_calls.is_empty());
                assert_eq!(choice.carries_output, !chunk.text.is_empty());
                let expected = (!chunk.text.is_empty())
                    .then(|| mistral_otel_wire::Content::Text(chunk.text.clone().into_owned()));
                assert_eq!(
                    choice.content,
                    expected,
                    "{}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }
    assert!(answered > 500, "{answered}");
}

#[test]
fn folds_fed_through_the_hot_paths_end_where_full_decodes_end() {
    for capture in [None, Some(64usize), Some(1 << 20)] {
        // completion streams
        for body in files(
            &["api", "real/ruby_llm", "real/braintrust-sdk-javascript"],
            "sse",
        ) {
            let mut full = CompletionFold::<usize>::new(capture);
            let mut fast = CompletionFold::<usize>::new(capture);
            for (at, (_, data)) in events(&body).into_iter().enumerate() {
                if is_done_sentinel(&data) {
                    full.done();
                    fast.done();
                    continue;
                }
                let Ok(chunk) = decode_completion_chunk(&data, capture.is_some()) else {
                    continue;
                };
                full.apply(chunk.clone(), at);
                let hot = peek_chunk_text(&data)
                    .is_some_and(|c| fast.continue_text(c.index, &c.text, at));
                if !hot {
                    fast.apply(chunk, at);
                }
            }
            assert_eq!(fast.response(), full.response());
            assert_eq!(
                (
                    fast.first_output(),
                    fast.last_output(),
                    fast.content_truncated()
                ),
                (
                    full.first_output(),
                    full.last_output(),
                    full.content_truncated()
                )
            );
        }
        // conversation streams
        for body in files(&["mistral", "features"], "sse") {
            let mut full = StreamFold::<usize>::new(capture);
            let mut fast = StreamFold::<usize>::new(capture);
            let mut closed_full = Vec::new();
            let mut closed_fast = Vec::new();
            for (at, (name, data)) in events(&body).into_iter().enumerate() {
                let Ok(event) = decode_stream_event(&name, &data, capture.is_some()) else {
                    continue;
                };
                full.apply(event.clone(), at, &mut |e| {
                    if let mistral_otel_wire::TreeEvent::Closed(out) = e {
                        closed_full.push(format!("{out:?}"));
                    }
                });
                let hot = name == "message.output.delta"
                    && capture.is_some()
                    && peek_text_delta(&data).is_some_and(|d| {
                        fast.continue_text(d.output_index, d.content_index, d.text.into_owned(), at)
                    });
                if !hot {
                    fast.apply(event, at, &mut |e| {
                        if let mistral_otel_wire::TreeEvent::Closed(out) = e {
                            closed_fast.push(format!("{out:?}"));
                        }
                    });
                }
            }
            full.finish(999, true, &mut |e| {
                if let mistral_otel_wire::TreeEvent::Closed(out) = e {
                    closed_full.push(format!("{out:?}"));
                }
            });
            fast.finish(999, true, &mut |e| {
                if let mistral_otel_wire::TreeEvent::Closed(out) = e {
                    closed_fast.push(format!("{out:?}"));
                }
            });
            assert_eq!(closed_fast, closed_full);
            assert_eq!(fast.content_truncated(), full.content_truncated());
        }
    }
}

/// A skipped string with an escape is checked as the decoders check the strings they
/// read: a lone surrogate escape, or invalid UTF-8 beside an escape, in `id`, `model` or
/// `agent_id` makes the decoders fail, so the hot paths must not answer (found by the
/// `stream_events` fuzz target: `peek_text_delta` answered, the decoder failed).
#[test]
fn an_escaped_string_the_decoders_reject_is_not_read_by_the_hot_paths() {
    let bad: [&[u8]; 4] = [b"m\\n\xfe1", b"\\ud800", b"\\udc00x", b"\\ud800\\u0041"];
    for value in bad {
        for key in ["id", "model", "agent_id"] {
            let mut data = format!(
                r#"{{"type":"message.output.delta","output_index":0,"content":"hi","{key}":""#
            )
            .into_bytes();
            data.extend_from_slice(value);
            data.extend_from_slice(b"\"}");
            assert!(
                decode_stream_event("message.output.delta", &data, true).is_err(),
                "{}",
                String::from_utf8_lossy(&data)
            );
            assert_eq!(
                peek_text_delta(&data),
                None,
                "{}",
                String::from_utf8_lossy(&data)
            );
            // through a template whose hole held a valid string
            let mut reader = TextDeltaReader::default();
            let good = format!(
                r#"{{"type":"message.output.delta","output_index":0,"content":"hi","{key}":"a\\n"}}"#
            );
            assert!(reader.read(good.as_bytes()).is_some());
            assert_eq!(
                reader.read(&data),
                None,
                "{}",
                String::from_utf8_lossy(&data)
            );
        }
        let mut chunk =
            br#"{"id":"c","object":"chat.completion.chunk","created":1,"model":""#.to_vec();
        chunk.extend_from_slice(value);
        chunk.extend_from_slice(
            br#"","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}"#,
        );
        assert!(
            decode_completion_chunk(&chunk, true).is_err(),
            "{}",
            String::from_utf8_lossy(&chunk)
        );
        assert_eq!(
            peek_chunk_text(&chunk),
            None,
            "{}",
            String::from_utf8_lossy(&chunk)
        );
    }
}

/// Payloads the hot paths must leave to the full decoders, and the few shapes they read.
#[test]
fn anything_beyond_plain_text_is_left_to_the_full_decoder() {
    let chunk = |rest: &str| {
        format!(r#"{{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",{rest}}}"#)
    };
    for data in [
        chunk(r#""choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]"#),
        chunk(
            r#""choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null"#,
        ),
        chunk(
            r#""choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"error":"boom""#,
        ),
        chunk(
            r#""choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"object":"error""#,
        ),
        chunk(r#""choices":[{"index":0,"delta":{"tool_calls":[]},"finish_reason":null}]"#),
        chunk(r#""choices":[{"index":0,"delta":{"content":"a"},"logprobs":null}]"#),
        chunk(
            r#""choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]"#,
        ),
        chunk(r#""choices":[{"index":0,"delta":{"content":[{"type":"thinking"}]}}]"#),
        chunk(r#""choices":[{"index":0,"delta":{"content":"a"}}],"choices":[]"#),
        // a delta field the scan does not know (a newer kind of output)
        chunk(r#""choices":[{"index":0,"delta":{"content":"a","reasoning_content":"b"}}]"#),
        chunk(r#""choices":[{"index":0,"delta":{"content":"a"}}],"created":1e400"#),
        chunk(
            r#""choices":[{"index":0,"delta":{"content":"a"}}],"created":123456789012345678901234"#,
        ),
        chunk(r#""choices":[{"index":0,"delta":{"content":"a"}}],"created":01"#),
        chunk(r#""choices":[{"index":0,"delta":{"content":"a"}}]"#) + " x",
    ] {
        assert!(peek_chunk_text(data.as_bytes()).is_none(), "{data}");
    }
    for (data, text) in [
        (
            chunk(r#""choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]"#),
            "",
        ),
        (
            chunk(r#""choices":[{"index":0,"delta":{"content":null}}]"#),
            "",
        ),
        // a repeated key: the last wins, as when decoded
        (
            chunk(
                r#""choices":[{"index":0,"delta":{"content":"a"}}],"choices":[{"index":0,"delta":{"content":"b"}}]"#,
            ),
            "b",
        ),
        (
            chunk(r#""choices":[{"index":0,"delta":{"content":"\u00e9\n"}}],"p":-1.5"#),
            "é\n",
        ),
    ] {
        assert_eq!(
            peek_chunk_text(data.as_bytes()).unwrap().text,
            text,
            "{data}"
        );
        assert!(decode_completion_chunk(data.as_bytes(), true).is_ok());
    }

    let delta =
        |rest: &str| format!(r#"{{"type":"message.output.delta","output_index":0,{rest}}}"#);
    for data in [
        delta(r#""content":{"type":"text","text":"a"}"#),
        delta(r#""content":null"#),
        delta(r#""content":"a","output_index":-1"#),
        delta(r#""content":"a","content_index":1.0"#),
        delta(r#""content":"a","agent_id":{"x":1}"#),
        delta(r#""content":"a","\u0063ontent":"b""#),
        delta(r#""content":"a\u0001""#).replace("\\u0001", "\u{1}"),
    ] {
        assert!(peek_text_delta(data.as_bytes()).is_none(), "{data}");
    }
    let d = delta(r#""content":"a\"b","content_index":2"#);
    let read = peek_text_delta(d.as_bytes()).unwrap();
    assert_eq!((read.content_index, read.text.as_ref()), (2, "a\"b"));
}

/// The completion hot path waits until the stream's identity is known: a first chunk
/// without `created` leaves the next chunks to `apply`, which fills it in.
#[test]
fn the_completion_hot_path_waits_for_the_streams_identity() {
    let first = br#"{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
    let second = br#"{"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
    let mut fold = CompletionFold::<usize>::new(Some(1024));
    fold.apply(decode_completion_chunk(first, true).unwrap(), 0);
    let peeked = peek_chunk_text(second).unwrap();
    assert!(!fold.continue_text(peeked.index, &peeked.text, 1));
    fold.apply(decode_completion_chunk(second, true).unwrap(), 1);
    assert_eq!(fold.response().created, Some(7));
    let peeked = peek_chunk_text(second).unwrap();
    assert!(fold.continue_text(peeked.index, &peeked.text, 2));
    assert_eq!(fold.last_output(), Some(2));
}

/// A reader that resumes after the bytes the previous chunk began with answers what a
/// fresh scan answers: over every recorded stream read in order, with mutated chunks
/// (prefixes that match, almost match, or break) in between.
#[test]
fn a_chunk_reader_answers_what_a_fresh_scan_answers() {
    let mut resumed = 0;
    let bodies = files(
        &[
            "api",
            "real/braintrust-sdk-javascript",
            "real/ruby_llm",
            "real/openllmetry",
        ],
        "sse",
    );
    for (b, body) in bodies.iter().enumerate() {
        let mut reader = ChunkReader::default();
        for (e, (_, data)) in events(body).into_iter().enumerate() {
            for data in variants(&data, (b * 1000 + e) as u64) {
                let fresh = peek_chunk_text(&data);
                let read = reader.read(&data);
                assert_eq!(read, fresh, "{}", String::from_utf8_lossy(&data));
                resumed += usize::from(read.is_some());
            }
        }
    }
    assert!(resumed > 500, "{resumed}");
}

/// The same for text deltas: a template reader answers what a fresh scan answers, over
/// every recorded conversation stream read in order with mutated events in between.
#[test]
fn a_text_delta_reader_answers_what_a_fresh_scan_answers() {
    let mut answered = 0;
    for (b, body) in files(&["mistral", "features"], "sse").iter().enumerate() {
        let mut reader = TextDeltaReader::default();
        for (e, (_, data)) in events(body).into_iter().enumerate() {
            for data in variants(&data, (b * 1000 + e) as u64 + 7) {
                let fresh = peek_text_delta(&data);
                let read = reader.read(&data);
                assert_eq!(read, fresh, "{}", String::from_utf8_lossy(&data));
                answered += usize::from(read.is_some());
            }
        }
    }
    assert!(answered > 100, "{answered}");
}

/// Templates with holes that change: escapes, non-ASCII text, invalid strings, strings
/// that end early or late, each read as a fresh scan reads it.
#[test]
fn template_holes_are_checked_as_a_scan_checks_them() {
    let chunk = |id: &str, text: &str, pad: &str| {
        format!(
            r#"{{"id":"{id}","object":"chat.completion.chunk","created":1,"model":"m","choices":[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":null}}],"p":"{pad}"}}"#
        )
    };
    let cases = [
        chunk("a", "Hi", "abc"),
        chunk("a", r"H\u00e9", "ab"),
        chunk("a", "caf\u{e9}", "abcdef"),
        chunk("a", r"x\q", "a"),
        chunk("a", "x\u{1}", "a"),
        chunk("a", "x", r"a\u12"),
        chunk("a", "x", r"a\n"),
        chunk("abc", "x", "a"),
        chunk(r#"a\""#, "x", "a"),
        chunk("a", r#"x\""#, "a"),
        chunk("a", r"x\", "a"),
        chunk("a", "", ""),
        chunk("a", "Hi", "abc") + " ",
        chunk("a", "Hi", "abc").replace(r#""Hi""#, "null"),
        // a repeated content: the last wins, null included
        chunk("a", "Hi", "abc").replace(r#""Hi""#, r#""Hi","content":null"#),
        chunk("a", "Hi", "abc").replace(r#""Hi""#, r#""Hi","content":null"#),
        // the value the scan compares is not a hole
        chunk("a", "Hi", "abc"),
        chunk("a", "Hi", "abc").replace("chat.completion.chunk", "error"),
    ];
    let mut reader = ChunkReader::default();
    let mut answered = 0;
    for round in 0..3 {
        for (i, data) in cases.iter().enumerate() {
            let mut bytes = data.clone().into_bytes();
            if round == 2 {
                // invalid UTF-8 in the text
                if let Some(at) = bytes.windows(2).position(|w| w == b"x\"") {
                    bytes[at] = 0xff;
                }
            }
            let fresh = peek_chunk_text(&bytes);
            answered += usize::from(fresh.is_some());
            assert_eq!(reader.read(&bytes), fresh, "case {i} round {round}: {data}");
        }
    }
    assert!(answered >= 15, "{answered}");
}
