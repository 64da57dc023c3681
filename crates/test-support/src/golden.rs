//! Span trees as text, for golden files and for comparing trees.
//!
//! The rendering keeps what a backend shows and drops what changes from run to run:
//!
//! * one block per span, children indented under their parent, siblings ordered by their
//!   rendered text (arrival order of outputs in a stream depends on the network);
//! * name, kind and status; every attribute, sorted by key, one per line; events with their
//!   attributes, in recorded order; links as the name of the span they point to;
//! * ids and timestamps are left out; durations (`gen_ai.response.time_to_first_chunk`,
//!   Braintrust's `time_to_first_token`) become `<seconds>`, `server.port` and ports in
//!   loopback URLs become `<port>`.
//!
//! [`assert_golden`] compares with a file and rewrites it when `UPDATE_GOLDEN=1` is set.

use std::collections::HashMap;
use std::path::Path;

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

use crate::spans::kind_name;

/// What a rendering leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Render {
    /// Leave out captured content (messages, instructions, tool arguments and results,
    /// full tool schemas, `braintrust.input_json` / `output_json`), to compare a tree
    /// recorded with capture on to one recorded with it off.
    pub without_content: bool,
}

/// Keys that carry captured content.
pub const CONTENT_KEYS: [&str; 11] = [
    "gen_ai.input.messages",
    "mistral_ai.request.input",
    "mistral_ai.classification.results",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "braintrust.input_json",
    "braintrust.output_json",
    "mistral_ai.content.truncated",
];

/// Render every trace in `spans` (roots in rendered order).
pub fn render(spans: &[SpanData]) -> String {
    render_with(spans, Render::default())
}

/// Render with options.
pub fn render_with(spans: &[SpanData], options: Render) -> String {
    let ids: HashMap<SpanId, &SpanData> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let mut roots: Vec<String> = spans
        .iter()
        .filter(|s| !ids.contains_key(&s.parent_span_id))
        .map(|s| block(s, spans, options, 0))
        .collect();
    roots.sort();
    roots.concat()
}

fn block(span: &SpanData, all: &[SpanData], options: Render, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let mut out = format!(
        "{pad}{} [{}]{}\n",
        span.name,
        kind_name(&span.span_kind),
        status(&span.status)
    );
    let mut attrs: Vec<&KeyValue> = span
        .attributes
        .iter()
        .filter(|kv| !(options.without_content && CONTENT_KEYS.contains(&kv.key.as_str())))
        .collect();
    attrs.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    for kv in attrs {
        out.push_str(&format!(
            "{pad}  | {} = {}\n",
            kv.key,
            value(kv.key.as_str(), &kv.value)
        ));
    }
    for event in span.events.iter() {
        out.push_str(&format!("{pad}  * event {}\n", event.name));
        let mut attrs: Vec<&KeyValue> = event
            .attributes
            .iter()
            .filter(|kv| !(options.without_content && CONTENT_KEYS.contains(&kv.key.as_str())))
            .collect();
        attrs.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        for kv in attrs {
            out.push_str(&format!(
                "{pad}      {} = {}\n",
                kv.key,
                value(kv.key.as_str(), &kv.value)
            ));
        }
    }
    for link in span.links.iter() {
        let target = all
            .iter()
            .find(|s| s.span_context.span_id() == link.span_context.span_id())
            .map_or("<span outside this trace set>", |s| s.name.as_ref());
        out.push_str(&format!("{pad}  ~ link to {target}\n"));
    }
    let mut children: Vec<String> = all
        .iter()
        .filter(|c| c.parent_span_id == span.span_context.span_id())
        .map(|c| block(c, all, options, depth + 1))
        .collect();
    children.sort();
    for c in children {
        out.push_str(&c);
    }
    out
}

fn status(status: &Status) -> String {
    match status {
        Status::Unset => String::new(),
        Status::Ok => " OK".to_owned(),
        Status::Error { description } => format!(" ERROR({})", loopback_ports(description)),
    }
}

fn value(key: &str, value: &Value) -> String {
    match key {
        "gen_ai.response.time_to_first_chunk" => return "<seconds>".to_owned(),
        "server.port" => return "<port>".to_owned(),
        "braintrust.metrics" => {
            if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&value.as_str()) {
                for key in ["time_to_first_token", "start", "end", "duration"] {
                    if let Some(v) = json.get_mut(key) {
                        *v = serde_json::Value::String("<seconds>".into());
                    }
                }
                return json.to_string();
            }
        }
        _ => {}
    }
    let text = match value {
        Value::String(s) => format!("{:?}", s.as_str()),
        Value::Array(Array::String(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| format!("{:?}", s.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => a.to_string(),
        other => other.to_string(),
    };
    loopback_ports(&text)
}

/// `127.0.0.1:1234` and `localhost:1234` become `…:<port>`.
fn loopback_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = ["127.0.0.1:", "localhost:"]
        .iter()
        .filter_map(|h| rest.find(h).map(|p| (p, h.len())))
        .min()
    {
        let (at, len) = pos;
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("<port>");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Compare `actual` with the golden file at `path`; with `UPDATE_GOLDEN=1` in the
/// environment, write it instead. On a mismatch the message shows the first differing
/// lines and the command that rewrites the files.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("golden dir");
        }
        std::fs::write(path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "no golden file {} ({e}); create it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(8)
            .map(|(i, (e, a))| format!("line {}:\n  golden: {e}\n  actual: {a}", i + 1))
            .collect();
        panic!(
            "{} differs from the trace ({} vs {} lines):\n{}\nRewrite the golden files with \
             `UPDATE_GOLDEN=1 cargo test` and review the diff.",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
