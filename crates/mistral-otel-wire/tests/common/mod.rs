//! Access to the repository's Mistral fixtures.

use std::path::PathBuf;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/mistral"
    ))
    .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The `output_index` of an event's JSON data.
fn output_index(data: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(data).ok()?["output_index"].as_u64()
}

/// Interleave the outputs' events at random, each output keeping its own order; events
/// without an output and handoff events stay in place as barriers.
#[allow(dead_code)]
pub fn interleave_outputs(events: &[(String, Vec<u8>)], seed: u64) -> Vec<(String, Vec<u8>)> {
    use std::collections::{BTreeMap, VecDeque};
    let mut rng = seed | 1;
    let mut out = Vec::new();
    let mut segment: BTreeMap<u64, VecDeque<(String, Vec<u8>)>> = BTreeMap::new();
    let mut flush = |segment: &mut BTreeMap<u64, VecDeque<(String, Vec<u8>)>>,
                     out: &mut Vec<(String, Vec<u8>)>| {
        let mut queues: Vec<VecDeque<(String, Vec<u8>)>> =
            std::mem::take(segment).into_values().collect();
        while !queues.is_empty() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let pick = (rng % queues.len() as u64) as usize;
            if let Some(e) = queues.get_mut(pick).and_then(VecDeque::pop_front) {
                out.push(e);
            }
            if queues.get(pick).is_some_and(VecDeque::is_empty) {
                queues.remove(pick);
            }
        }
    };
    for event in events {
        match (output_index(&event.1), event.0.starts_with("agent.handoff")) {
            (Some(index), false) => segment.entry(index).or_default().push_back(event.clone()),
            _ => {
                flush(&mut segment, &mut out);
                out.push(event.clone());
            }
        }
    }
    flush(&mut segment, &mut out);
    out
}
