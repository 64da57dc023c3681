#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mistral_otel_wire::{DEFAULT_MAX_EVENT_BYTES, SseError, SseParser};

type Events = Vec<(String, Vec<u8>)>;

/// Feed `pieces` one push each, then finish; collect (event, data) pairs.
fn parse_pieces(parser: &mut SseParser, pieces: &[&[u8]]) -> Events {
    let mut events = Events::new();
    for piece in pieces {
        parser
            .push(piece, |e| {
                events.push((e.event.to_owned(), e.data.to_vec()))
            })
            .unwrap();
    }
    parser
        .finish(|e| events.push((e.event.to_owned(), e.data.to_vec())))
        .unwrap();
    events
}

fn parse_all(input: &[u8]) -> Events {
    parse_pieces(&mut SseParser::new(), &[input])
}

/// The same input split at every possible byte offset, and byte by byte, gives the same events.
fn parse_every_split(input: &[u8]) -> Events {
    let whole = parse_all(input);
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(
            parse_pieces(&mut SseParser::new(), &[a, b]),
            whole,
            "split at {at}"
        );
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        parse_pieces(&mut SseParser::new(), &bytes),
        whole,
        "byte by byte"
    );
    whole
}

fn ev(event: &str, data: &str) -> (String, Vec<u8>) {
    (event.to_owned(), data.as_bytes().to_vec())
}

#[test]
fn lf_crlf_and_cr_line_endings_frame_the_same_events() {
    let expected = vec![ev("a", "1"), ev("b", "2")];
    assert_eq!(
        parse_every_split(b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n"),
        expected
    );
    assert_eq!(
        parse_every_split(b"event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n"),
        expected
    );
    assert_eq!(
        parse_every_split(b"event: a\rdata: 1\r\revent: b\rdata: 2\r\r"),
        expected
    );
    assert_eq!(
        parse_every_split(b"event: a\r\ndata: 1\r\revent: b\ndata: 2\r\n\n"),
        expected
    );
}

#[test]
fn cr_at_the_end_of_a_push_followed_by_lf_is_one_line_end() {
    let mut parser = SseParser::new();
    let events = parse_pieces(
        &mut parser,
        &[
            b"data: 1\r",
            b"\n",
            b"data: 2\r",
            b"\ndata: 3\r",
            b"\n\r",
            b"\n",
        ],
    );
    // had the split CRLF counted twice, "1" would be dispatched on its own
    assert_eq!(events, vec![ev("message", "1\n2\n3")]);
}

#[test]
fn cr_then_empty_push_then_lf_is_still_one_line_end() {
    let events = parse_pieces(
        &mut SseParser::new(),
        &[b"data: 1\r", b"", b"\n", b"data: 2\n\n"],
    );
    assert_eq!(events, vec![ev("message", "1\n2")]);
}

#[test]
fn comments_are_ignored() {
    let events = parse_every_split(b": keep-alive\n:\ndata: x\n: inside\n\n: trailing\n\n");
    assert_eq!(events, vec![ev("message", "x")]);
}

#[test]
fn one_space_after_the_colon_is_removed_and_only_one() {
    assert_eq!(parse_all(b"data:x\n\n"), vec![ev("message", "x")]);
    assert_eq!(parse_all(b"data: x\n\n"), vec![ev("message", "x")]);
    assert_eq!(parse_all(b"data:  x\n\n"), vec![ev("message", " x")]);
    assert_eq!(parse_all(b"event:e\ndata:x:y\n\n"), vec![ev("e", "x:y")]);
}

#[test]
fn several_data_lines_join_with_newlines() {
    assert_eq!(
        parse_every_split(b"data: {\ndata: \"a\": 1\ndata: }\n\n"),
        vec![ev("message", "{\n\"a\": 1\n}")]
    );
    assert_eq!(parse_all(b"data\ndata\n\n"), vec![ev("message", "\n")]);
}

#[test]
fn data_before_event_still_gets_the_event_name() {
    assert_eq!(
        parse_every_split(b"data: 1\nevent: late\n\n"),
        vec![ev("late", "1")]
    );
}

#[test]
fn event_without_data_is_not_dispatched_and_its_name_resets() {
    let events = parse_every_split(b"event: lonely\n\ndata: 1\n\nevent: x\nid: 7\nretry: 10\n\n");
    assert_eq!(events, vec![ev("message", "1")]);
}

#[test]
fn empty_data_line_is_dispatched_with_empty_data() {
    assert_eq!(parse_all(b"event: e\ndata:\n\n"), vec![ev("e", "")]);
    assert_eq!(parse_all(b"event: e\ndata\n\n"), vec![ev("e", "")]);
}

#[test]
fn id_retry_and_unknown_fields_are_ignored() {
    let events = parse_every_split(b"id: 1\nretry: 3000\nfoo: bar\nevent: e\ndata: d\nid\n\n");
    assert_eq!(events, vec![ev("e", "d")]);
}

#[test]
fn multibyte_utf8_split_across_pushes_is_reassembled() {
    let input = "event: é€\ndata: {\"t\":\"Métropole – 149 € 🎉\"}\n\n".as_bytes();
    let events = parse_every_split(input);
    assert_eq!(events, vec![ev("é€", "{\"t\":\"Métropole – 149 € 🎉\"}")]);
}

#[test]
fn leading_byte_order_mark_is_skipped() {
    assert_eq!(
        parse_every_split(b"\xEF\xBB\xBFevent: e\ndata: 1\n\n"),
        vec![ev("e", "1")]
    );
}

#[test]
fn final_event_without_blank_line_is_dispatched_by_finish() {
    let mut parser = SseParser::new();
    let mut pushed = Events::new();
    parser
        .push(b"event: done\ndata: {}\n", |e| {
            pushed.push((e.event.to_owned(), e.data.to_vec()))
        })
        .unwrap();
    assert!(
        pushed.is_empty(),
        "nothing before the blank line or the end"
    );
    let mut finished = Events::new();
    parser
        .finish(|e| finished.push((e.event.to_owned(), e.data.to_vec())))
        .unwrap();
    assert_eq!(finished, vec![ev("done", "{}")]);
}

#[test]
fn partial_data_line_at_eof_is_a_line_and_is_dispatched() {
    assert_eq!(
        parse_every_split(b"event: e\ndata: {\"partial"),
        vec![ev("e", "{\"partial")]
    );
}

#[test]
fn event_cut_mid_line_at_eof_without_data_is_not_dispatched() {
    assert_eq!(
        parse_every_split(b"data: 1\n\nevent: conversation.resp"),
        vec![ev("message", "1")]
    );
    assert_eq!(
        parse_every_split(b"data: 1\n\nda"),
        vec![ev("message", "1")]
    );
}

#[test]
fn finish_resets_the_parser_for_a_new_stream() {
    let mut parser = SseParser::new();
    assert_eq!(
        parse_pieces(&mut parser, &[b"data: 1"]),
        vec![ev("message", "1")]
    );
    assert_eq!(parser.buffered_bytes(), 0);
    assert_eq!(
        parse_pieces(&mut parser, &[b"\xEF\xBB\xBFdata: 2\n\n"]),
        vec![ev("message", "2")]
    );
}

#[test]
fn finish_on_an_empty_stream_dispatches_nothing() {
    assert!(parse_all(b"").is_empty());
    assert!(parse_all(b"\n\n\r\n").is_empty());
}

#[test]
fn line_longer_than_the_limit_overflows_once_then_input_is_ignored() {
    let limit = 64;
    let mut parser = SseParser::with_max_event_bytes(limit);
    let mut events = Events::new();
    let mut on_event =
        |e: mistral_otel_wire::SseEvent<'_>| events.push((e.event.to_owned(), e.data.to_vec()));
    parser.push(b"data: ok\n\n", &mut on_event).unwrap();
    let mut errors = Vec::new();
    for _ in 0..100 {
        if let Err(err) = parser.push(&[b'x'; 10], &mut on_event) {
            errors.push(err);
        }
        assert!(parser.buffered_bytes() <= limit);
    }
    assert_eq!(errors, vec![SseError::Overflow { limit }]);
    assert!(parser.is_overflowed());
    assert_eq!(parser.buffered_bytes(), 0);
    parser.push(b"\n\ndata: later\n\n", &mut on_event).unwrap();
    parser.finish(&mut on_event).unwrap();
    assert_eq!(events, vec![ev("message", "ok")]);
    assert!(errors[0].to_string().contains("64 bytes"));
}

#[test]
fn complete_line_larger_than_the_limit_in_one_push_overflows() {
    let mut parser = SseParser::with_max_event_bytes(16);
    let mut line = b"data: ".to_vec();
    line.extend_from_slice(&[b'y'; 32]);
    line.extend_from_slice(b"\n\n");
    assert_eq!(
        parser.push(&line, |_| panic!("nothing fits")),
        Err(SseError::Overflow { limit: 16 })
    );
    assert!(parser.is_overflowed());
}

#[test]
fn many_data_lines_exceeding_the_limit_overflow_whatever_the_chunking() {
    let limit = 100;
    let mut input = Vec::new();
    for _ in 0..30 {
        input.extend_from_slice(b"data: 0123456789\n");
    }
    input.extend_from_slice(b"\n");
    for size in [1, 7, 13, input.len()] {
        let mut parser = SseParser::with_max_event_bytes(limit);
        let mut errors = 0;
        for piece in input.chunks(size) {
            if parser
                .push(piece, |_| panic!("the event is too large to dispatch"))
                .is_err()
            {
                errors += 1;
            }
            assert!(parser.buffered_bytes() <= limit, "size {size}");
        }
        parser.finish(|_| panic!("nothing after overflow")).unwrap();
        assert_eq!(errors, 1, "size {size}");
    }
}

#[test]
fn line_exactly_at_the_limit_passes_and_nothing_stays_held() {
    let limit = 32;
    let mut parser = SseParser::with_max_event_bytes(limit);
    // "data: " + 26 bytes = 32-byte line; data 26 bytes
    let line = format!("data: {}\n\n", "z".repeat(26));
    let mut count = 0;
    for _ in 0..1000 {
        parser
            .push(line.as_bytes(), |e| {
                assert_eq!(e.data.len(), 26);
                count += 1;
            })
            .unwrap();
        assert_eq!(parser.buffered_bytes(), 0);
    }
    assert_eq!(count, 1000);
    assert!(!parser.is_overflowed());
}

#[test]
fn default_limit_is_four_mebibytes() {
    assert_eq!(DEFAULT_MAX_EVENT_BYTES, 4 * 1024 * 1024);
    let mut parser = SseParser::default();
    let big = vec![b'a'; DEFAULT_MAX_EVENT_BYTES];
    assert!(parser.push(&big, |_| {}).is_ok());
    assert!(parser.push(b"a", |_| {}).is_err());
}

#[test]
fn event_name_that_is_not_utf8_reads_as_message() {
    assert_eq!(
        parse_all(b"event: \xff\xfe\ndata: 1\n\n"),
        vec![ev("message", "1")]
    );
}

/// Whole pushes take the in-place path for whole events; one-byte pushes never can. Random
/// streams built from the pieces of the format give the same events, and overflow at the
/// same point, both ways.
#[test]
fn the_in_place_path_and_the_line_path_agree_on_random_streams() {
    const PIECES: [&[u8]; 14] = [
        b"event: ",
        b"event:",
        b"data: ",
        b"data:",
        b": comment",
        b"id: 7",
        b"\n",
        b"\n\n",
        b"\r\n",
        b"\r",
        b"{\"type\":\"message.output.delta\",\"output_index\":0}",
        b"x",
        b" ",
        b"\xEF\xBB\xBF",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let mut input = Vec::new();
        for _ in 0..(next() % 24) {
            input.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let limit = [16usize, 64, 4096][round % 3];
        let run = |pieces: &[&[u8]]| {
            let mut parser = SseParser::with_max_event_bytes(limit);
            let mut events = Events::new();
            let mut errors = Vec::new();
            for piece in pieces {
                if let Err(e) = parser.push(piece, |e| {
                    events.push((e.event.to_owned(), e.data.to_vec()))
                }) {
                    errors.push(e);
                }
            }
            let _ = parser.finish(|e| events.push((e.event.to_owned(), e.data.to_vec())));
            (events, errors)
        };
        let whole = run(&[&input]);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            run(&bytes),
            whole,
            "round {round}: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
