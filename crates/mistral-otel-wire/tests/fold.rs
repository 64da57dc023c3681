//! The stream fold on its own: events and integer instants in, tree events out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use mistral_otel_wire::{
    Entry, MAX_OPEN_OUTPUTS, OutputKind, SseParser, StreamEvent, StreamFold, Terminal, TreeEvent,
    decode_stream_event,
};

/// What the fold said, as comparable text.
fn log_of(event: &TreeEvent<'_, u32>) -> String {
    match event {
        TreeEvent::ConversationStarted(id) => format!("started {id}"),
        TreeEvent::FirstOutput(at) => format!("first output @{at}"),
        TreeEvent::Opened(o) => format!(
            "open {} {:?} owner {:?} @{}",
            o.index,
            o.kind(),
            o.owner,
            o.first
        ),
        TreeEvent::HandoffDone(o) => format!("handoff done {}", o.index),
        TreeEvent::Closed(o) => format!(
            "close {} {:?} {}..{} complete={} {}",
            o.index,
            o.kind(),
            o.first,
            o.last,
            o.complete,
            summary(&o.entry)
        ),
        TreeEvent::Terminal(t) => format!("terminal {}", matches!(t, Terminal::Done(_))),
    }
}

fn summary(entry: &Entry) -> String {
    match entry {
        Entry::FunctionCall(f) => format!("{}({})", f.name, f.arguments),
        Entry::ToolExecution(t) => format!("{}({}) info={}", t.name, t.arguments, t.info.is_some()),
        Entry::MessageOutput(m) => format!("{:?}", m.content),
        Entry::AgentHandoff(h) => format!("{:?}->{:?}", h.previous_agent_name, h.next_agent_name),
        other => other.kind().to_owned(),
    }
}

/// Feed `(name, json)` events at instants 0, 1, 2, ... and finish at `end`.
fn run(
    capture: Option<usize>,
    events: &[(&str, &str)],
    end: u32,
) -> (Vec<String>, StreamFold<u32>) {
    let mut fold = StreamFold::new(capture);
    let mut log = Vec::new();
    for (at, (name, data)) in events.iter().enumerate() {
        let event = decode_stream_event(name, data.as_bytes(), capture.is_some()).unwrap();
        fold.apply(event, at as u32, &mut |e| log.push(log_of(&e)));
    }
    let clean = fold.terminal().is_some();
    fold.finish(end, clean, &mut |e| log.push(log_of(&e)));
    (log, fold)
}

const DONE: (&str, &str) = (
    "conversation.response.done",
    r#"{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
);

#[test]
fn interleaved_function_calls_stay_apart_and_close_at_the_end() {
    let (log, fold) = run(
        Some(1 << 20),
        &[
            (
                "function.call.delta",
                r#"{"output_index":4,"name":"a","tool_call_id":"A","arguments":"{\"x\""}"#,
            ),
            (
                "function.call.delta",
                r#"{"output_index":5,"name":"b","tool_call_id":"B","arguments":"{\"y\""}"#,
            ),
            (
                "function.call.delta",
                r#"{"output_index":4,"arguments":":1}"}"#,
            ),
            (
                "function.call.delta",
                r#"{"output_index":5,"arguments":":2}"}"#,
            ),
            DONE,
        ],
        9,
    );
    assert_eq!(
        log,
        [
            "first output @0",
            "open 4 Function owner None @0",
            "open 5 Function owner None @1",
            "terminal true",
            r#"close 4 Function 0..2 complete=true a({"x":1})"#,
            r#"close 5 Function 1..3 complete=true b({"y":2})"#,
        ]
    );
    assert_eq!(fold.last_output_kind(), Some(OutputKind::Function));
}

#[test]
fn a_tool_closes_at_its_done_and_an_unfinished_one_closes_incomplete_at_the_end() {
    let (log, _) = run(
        None,
        &[
            (
                "tool.execution.started",
                r#"{"output_index":0,"id":"t0","name":"web_search","arguments":""}"#,
            ),
            (
                "tool.execution.started",
                r#"{"output_index":1,"id":"t1","name":"code_interpreter","arguments":""}"#,
            ),
            (
                "tool.execution.done",
                r#"{"output_index":0,"id":"t0","name":"web_search","info":{}}"#,
            ),
        ],
        7,
    );
    assert_eq!(
        log,
        [
            "first output @0",
            "open 0 Tool owner None @0",
            "open 1 Tool owner None @1",
            "close 0 Tool 0..2 complete=true web_search() info=false",
            "close 1 Tool 1..7 complete=false code_interpreter() info=false",
        ]
    );
}

#[test]
fn a_handoff_closes_what_is_open_owns_what_follows_and_lasts_as_long_as_it() {
    let (log, _) = run(
        Some(1 << 20),
        &[
            (
                "message.output.delta",
                r#"{"output_index":0,"content_index":0,"content":"hi"}"#,
            ),
            (
                "agent.handoff.started",
                r#"{"output_index":1,"id":"h1","previous_agent_id":"ag_a","previous_agent_name":"triage"}"#,
            ),
            (
                "agent.handoff.done",
                r#"{"output_index":1,"id":"h1","next_agent_id":"ag_b","next_agent_name":"billing"}"#,
            ),
            (
                "message.output.delta",
                r#"{"output_index":2,"content_index":0,"content":"yo"}"#,
            ),
            (
                "message.output.delta",
                r#"{"output_index":2,"content_index":0,"content":"!"}"#,
            ),
            DONE,
        ],
        9,
    );
    assert_eq!(
        log,
        [
            "first output @0",
            "open 0 Message owner None @0",
            r#"close 0 Message 0..0 complete=true Chunks([Text { text: "hi" }])"#,
            "open 1 Handoff owner None @1",
            "handoff done 1",
            "open 2 Message owner Some(1) @3",
            "terminal true",
            r#"close 2 Message 3..4 complete=true Chunks([Text { text: "yo!" }])"#,
            r#"close 1 Handoff 1..4 complete=true Some("triage")->Some("billing")"#,
        ]
    );
}

#[test]
fn events_after_the_terminal_one_are_ignored() {
    let mut fold = StreamFold::<u32>::new(None);
    let mut log = Vec::new();
    for (at, (name, data)) in [
        DONE,
        (
            "message.output.delta",
            r#"{"output_index":0,"content_index":0,"content":"late"}"#,
        ),
    ]
    .iter()
    .enumerate()
    {
        let event = decode_stream_event(name, data.as_bytes(), false).unwrap();
        fold.apply(event, at as u32, &mut |e| log.push(log_of(&e)));
    }
    assert_eq!(log, ["terminal true"]);
    assert!(!fold.continue_output(OutputKind::Message, 0, 5));
}

#[test]
fn the_capture_budget_counts_every_kept_byte_and_says_when_content_was_left_out() {
    let events = [
        (
            "tool.execution.started",
            r#"{"output_index":0,"id":"t","name":"n","arguments":"0123456789"}"#,
        ),
        (
            "tool.execution.done",
            r#"{"output_index":0,"id":"t","name":"n","info":{"result":"0123456789012345678901234567890123456789"}}"#,
        ),
    ];
    let (log, fold) = run(Some(1 << 20), &events, 5);
    assert!(log[2].ends_with("n(0123456789) info=true"), "{log:?}");
    assert!(!fold.content_truncated());
    // identities and arguments fit, the info does not
    let (log, fold) = run(Some(24), &events, 5);
    assert!(log[2].ends_with("n(0123456789) info=false"), "{log:?}");
    assert!(fold.content_truncated());
    // without capture nothing is kept and nothing is truncated
    let (log, fold) = run(None, &events, 5);
    assert!(log[2].ends_with("n() info=false"), "{log:?}");
    assert!(!fold.content_truncated());
}

#[test]
fn the_hot_path_moves_an_open_output_as_a_full_apply_would() {
    let open = (
        "message.output.delta",
        r#"{"output_index":3,"id":"m","content_index":0,"content":"a"}"#,
    );
    let more = (
        "message.output.delta",
        r#"{"output_index":3,"content_index":0,"content":"b"}"#,
    );
    let (full, _) = run(None, &[open, more, more, DONE], 9);
    let mut fold = StreamFold::<u32>::new(None);
    let mut log = Vec::new();
    let event = decode_stream_event(open.0, open.1.as_bytes(), false).unwrap();
    fold.apply(event, 0, &mut |e| log.push(log_of(&e)));
    assert!(fold.continue_output(OutputKind::Message, 3, 1));
    assert!(fold.continue_output(OutputKind::Message, 3, 2));
    assert!(
        !fold.continue_output(OutputKind::Tool, 3, 2),
        "another kind needs a full apply"
    );
    assert!(
        !fold.continue_output(OutputKind::Message, 4, 2),
        "a new output needs a full apply"
    );
    let event = decode_stream_event(DONE.0, DONE.1.as_bytes(), false).unwrap();
    fold.apply(event, 3, &mut |e| log.push(log_of(&e)));
    fold.finish(9, true, &mut |e| log.push(log_of(&e)));
    assert_eq!(log, full);
    // with capture on the hot path is refused: deltas carry content
    let mut capturing = StreamFold::<u32>::new(Some(100));
    let event = decode_stream_event(open.0, open.1.as_bytes(), true).unwrap();
    capturing.apply(event, 0, &mut |_| {});
    assert!(!capturing.continue_output(OutputKind::Message, 3, 1));
}

#[test]
fn outputs_past_the_open_limit_are_counted_not_tracked() {
    let mut fold = StreamFold::<u32>::new(None);
    let mut opened = 0usize;
    for i in 0..=MAX_OPEN_OUTPUTS as u32 {
        let event = StreamEvent::ToolExecutionStarted {
            output_index: i,
            id: None,
            name: Some("t".into()),
            arguments: None,
            model: None,
            agent_id: None,
        };
        fold.apply(event, i, &mut |e| {
            opened += usize::from(matches!(e, TreeEvent::Opened(_)))
        });
    }
    assert_eq!(opened, MAX_OPEN_OUTPUTS);
    assert_eq!(fold.outputs_dropped(), 1);
}

/// Every SSE fixture, any interleaving of its outputs (each in its own order, handoffs as
/// barriers): the same outputs close, with the same content.
#[test]
fn any_interleaving_of_a_fixture_closes_the_same_outputs() {
    for case in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
        "start_stream_error",
    ] {
        let mut events: Vec<(String, Vec<u8>)> = Vec::new();
        let mut parser = SseParser::new();
        parser
            .push(&common::fixture(&format!("{case}.sse")), |e| {
                events.push((e.event.to_owned(), e.data.to_vec()))
            })
            .unwrap();
        let closed = |order: &[(String, Vec<u8>)]| {
            let mut fold = StreamFold::<u32>::new(Some(1 << 20));
            let mut out = Vec::new();
            for (name, data) in order {
                let event = decode_stream_event(name, data, true).unwrap();
                fold.apply(event, 0, &mut |e| {
                    if let TreeEvent::Closed(o) = e {
                        out.push((o.index, o.complete, o.entry.clone()));
                    }
                });
            }
            fold.finish(0, true, &mut |e| {
                if let TreeEvent::Closed(o) = e {
                    out.push((o.index, o.complete, o.entry.clone()));
                }
            });
            out.sort_by_key(|(i, ..)| *i);
            out
        };
        let reference = closed(&events);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let shuffled = common::interleave_outputs(&events, seed);
            assert_eq!(closed(&shuffled), reference, "{case} seed {seed}");
        }
    }
}
