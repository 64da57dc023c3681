//! Reading spans: attributes, names, parents, and the tree they form.

use opentelemetry::Value;
use opentelemetry::trace::{SpanId, SpanKind};
use opentelemetry_sdk::trace::SpanData;

/// An attribute's value.
pub fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// An attribute as a string (any type, displayed).
pub fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

/// An integer attribute.
pub fn attr_i64(span: &SpanData, key: &str) -> Option<i64> {
    match attr(span, key)? {
        Value::I64(v) => Some(*v),
        _ => None,
    }
}

/// The one span with this name; panics (test failure) otherwise.
pub fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one span named {name:?}, got {}: {:?}",
        found.len(),
        names(spans)
    );
    found[0]
}

/// Span names, in export order.
pub fn names(spans: &[SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

/// The children of a span, ordered by start time.
pub fn children<'a>(spans: &'a [SpanData], parent: &SpanData) -> Vec<&'a SpanData> {
    let mut c: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_context.span_id())
        .collect();
    c.sort_by_key(|s| s.start_time);
    c
}

/// Every span whose parent is in `spans` starts and ends inside that parent, and has
/// the same trace id.
pub fn assert_children_inside_parents(spans: &[SpanData]) {
    for child in spans {
        if child.parent_span_id == SpanId::INVALID {
            continue;
        }
        if let Some(parent) = spans
            .iter()
            .find(|p| p.span_context.span_id() == child.parent_span_id)
        {
            assert_eq!(
                child.span_context.trace_id(),
                parent.span_context.trace_id()
            );
            assert!(
                child.start_time >= parent.start_time,
                "{} starts before its parent {}",
                child.name,
                parent.name
            );
            assert!(
                child.end_time <= parent.end_time,
                "{} ends after its parent {} ({:?} > {:?})",
                child.name,
                parent.name,
                child.end_time,
                parent.end_time
            );
            assert!(
                child.start_time <= child.end_time,
                "{} ends before it starts",
                child.name
            );
        }
    }
}

/// A compact, comparable shape of a trace: (depth, name, kind) in tree order.
pub fn tree_shape(spans: &[SpanData]) -> Vec<(usize, String, String)> {
    fn walk(
        spans: &[SpanData],
        span: &SpanData,
        depth: usize,
        out: &mut Vec<(usize, String, String)>,
    ) {
        out.push((
            depth,
            span.name.to_string(),
            kind_name(&span.span_kind).to_owned(),
        ));
        for c in children(spans, span) {
            walk(spans, c, depth + 1, out);
        }
    }
    let mut roots: Vec<&SpanData> = spans
        .iter()
        .filter(|s| {
            !spans
                .iter()
                .any(|p| p.span_context.span_id() == s.parent_span_id)
        })
        .collect();
    roots.sort_by_key(|s| s.start_time);
    let mut out = Vec::new();
    for r in roots {
        walk(spans, r, 0, &mut out);
    }
    out
}

/// `CLIENT`, `INTERNAL`, ...
pub fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "CLIENT",
        SpanKind::Server => "SERVER",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
        SpanKind::Internal => "INTERNAL",
    }
}

/// The one CLIENT span (the call's top span); panics when there is not exactly one.
pub fn client_span(spans: &[SpanData]) -> &SpanData {
    let found: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one CLIENT span: {:?}",
        names(spans)
    );
    found[0]
}

/// Every attribute, event attribute, status message and link of every span, as text: for
/// checks that a value (a secret, a canary) appears nowhere in what is exported.
pub fn exported_text(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for span in spans {
        out.push_str(&span.name);
        out.push('\n');
        for kv in &span.attributes {
            out.push_str(&format!("{}={}\n", kv.key, kv.value));
        }
        for event in span.events.iter() {
            out.push_str(&event.name);
            out.push('\n');
            for kv in &event.attributes {
                out.push_str(&format!("{}={}\n", kv.key, kv.value));
            }
        }
        if let opentelemetry::trace::Status::Error { description } = &span.status {
            out.push_str(description);
            out.push('\n');
        }
        for link in span.links.iter() {
            for kv in &link.attributes {
                out.push_str(&format!("{}={}\n", kv.key, kv.value));
            }
        }
    }
    out
}

/// No span carries the same attribute key twice (the SDK keeps every value set for a key,
/// and backends then show one of them at random).
pub fn assert_unique_keys(spans: &[SpanData]) {
    for span in spans {
        let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(
            before,
            keys.len(),
            "{}: an attribute key is set twice: {:?}",
            span.name,
            span.attributes
        );
    }
}
