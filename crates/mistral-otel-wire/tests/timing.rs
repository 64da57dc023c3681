//! Micro timings of the hot paths, printed with
//! `cargo test --release -p mistral-otel-wire --test timing -- --ignored --nocapture`.
//! No timed assertions: the numbers depend on the machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::fixture;
use mistral_otel_wire::{
    SseParser, decode_stream_event, parse_conversation_response_with, parse_turn_request_with,
    peek_output_index,
};

/// (event name, data) of every event of the stream fixtures.
fn fixture_events() -> Vec<(String, Vec<u8>)> {
    let mut events = Vec::new();
    for name in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
    ] {
        let mut parser = SseParser::new();
        parser
            .push(&fixture(&format!("{name}.sse")), |event| {
                events.push((event.event.to_owned(), event.data.to_vec()));
            })
            .unwrap();
        parser.finish(|_| {}).unwrap();
    }
    events
}

/// Median over passes of the time per item, in ns.
fn ns_per_item(items: usize, mut pass: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..200 {
                pass();
            }
            start.elapsed().as_nanos() as f64 / (200 * items) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[test]
#[ignore = "timing, run with --release --ignored --nocapture"]
fn print_hot_path_timings() {
    let events = fixture_events();
    let avg = events.iter().map(|(_, d)| d.len()).sum::<usize>() / events.len();
    println!(
        "{} fixture events, {avg} B of data on average",
        events.len()
    );
    let peek = ns_per_item(events.len(), || {
        for (_, data) in &events {
            black_box(peek_output_index(black_box(data)));
        }
    });
    println!("peek_output_index, all events      {peek:8.1} ns/event");
    let deltas: Vec<&[u8]> = events
        .iter()
        .filter(|(name, _)| name == "message.output.delta")
        .map(|(_, data)| data.as_slice())
        .collect();
    let peek = ns_per_item(deltas.len(), || {
        for data in &deltas {
            black_box(peek_output_index(black_box(data)));
        }
    });
    println!("peek_output_index, message deltas  {peek:8.1} ns/event");
    for with_content in [false, true] {
        let t = ns_per_item(events.len(), || {
            for (name, data) in &events {
                black_box(decode_stream_event(name, black_box(data), with_content).unwrap());
            }
        });
        println!("decode_stream_event, content {with_content:5} {t:8.1} ns/event");
    }
    let response = fixture("start_web_search.response.json");
    for with_content in [true, false] {
        let t = ns_per_item(1, || {
            black_box(
                parse_conversation_response_with(black_box(&response), with_content).unwrap(),
            );
        });
        println!(
            "parse_conversation_response_with ({} B), content {with_content:5} {:8.2} µs",
            response.len(),
            t / 1000.0
        );
    }
    let request = fixture("start_web_search.request.json");
    for with_content in [true, false] {
        let t = ns_per_item(1, || {
            black_box(parse_turn_request_with(black_box(&request), with_content).unwrap());
        });
        println!(
            "parse_turn_request_with ({} B), content {with_content:5}         {:8.2} µs",
            request.len(),
            t / 1000.0
        );
    }
}
