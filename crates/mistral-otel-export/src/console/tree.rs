//! Span trees as indented text: what the console exporter prints, and what the replay
//! command and the examples show. One renderer, so a tree looks the same wherever it is
//! printed and the replay crate's golden trees check the console format too.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::trace::SpanData;

/// Attributes worth a glance, in display order (the operation name is implied by the span name).
const KEY_ATTRIBUTES: &[&str] = &[
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.conversation.id",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.response.time_to_first_chunk",
    "mistral_ai.stream.outcome",
    "http.response.status_code",
    "error.type",
];

/// Renders every trace in `spans` as an indented tree.
///
/// One `trace ID` line per trace (traces in order of their first start), then one line
/// per span — name, kind, duration in ms, `ERROR` with its description — followed, when
/// there is anything to show, by a `|` line with the key attributes and event names.
/// Children are ordered by start time; a span whose parent is not in `spans` is shown
/// as a root.
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// use mistral_otel_export::console::render_tree;
/// use opentelemetry::trace::{
///     SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
/// };
/// use opentelemetry::{InstrumentationScope, KeyValue};
/// use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
///
/// let start = SystemTime::UNIX_EPOCH;
/// let chat = SpanData {
///     span_context: SpanContext::new(
///         TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
///         SpanId::from(0x00f0_67aa_0ba9_02b7),
///         TraceFlags::SAMPLED,
///         false,
///         TraceState::default(),
///     ),
///     parent_span_id: SpanId::INVALID,
///     parent_span_is_remote: false,
///     span_kind: SpanKind::Client,
///     name: "chat mistral-small-latest".into(),
///     start_time: start,
///     end_time: start + Duration::from_millis(250),
///     attributes: vec![KeyValue::new("gen_ai.request.model", "mistral-small-latest")],
///     dropped_attributes_count: 0,
///     events: SpanEvents::default(),
///     links: SpanLinks::default(),
///     status: Status::error("Service unavailable"),
///     instrumentation_scope: InstrumentationScope::builder("demo").build(),
/// };
/// assert_eq!(
///     render_tree(&[chat]),
///     "trace 4bf92f3577b34da6a3ce929d0e0e4736\n\
///      \x20 chat mistral-small-latest  CLIENT  250.000 ms  ERROR Service unavailable\n\
///      \x20   | gen_ai.request.model=mistral-small-latest\n"
/// );
/// ```
pub fn render_tree(spans: &[SpanData]) -> String {
    let mut traces: Vec<(TraceId, Vec<&SpanData>)> = Vec::new();
    for span in spans {
        let trace_id = span.span_context.trace_id();
        match traces.iter_mut().find(|(id, _)| *id == trace_id) {
            Some((_, members)) => members.push(span),
            None => traces.push((trace_id, vec![span])),
        }
    }
    traces.sort_by_key(|(_, members)| members.iter().map(|s| s.start_time).min());

    let mut out = String::new();
    for (trace_id, mut members) in traces {
        members.sort_by_key(|s| s.start_time);
        let ids: HashSet<SpanId> = members.iter().map(|s| s.span_context.span_id()).collect();
        let mut children: HashMap<SpanId, Vec<&SpanData>> = HashMap::new();
        let mut roots = Vec::new();
        for span in &members {
            if ids.contains(&span.parent_span_id) {
                children.entry(span.parent_span_id).or_default().push(span);
            } else {
                roots.push(*span);
            }
        }
        let _ = writeln!(out, "trace {trace_id}");
        let mut printed = HashSet::new();
        for root in roots {
            write_span(&mut out, root, 1, &children, &mut printed);
        }
        // Spans caught in a parent cycle (corrupt data) would otherwise vanish.
        for span in &members {
            if !printed.contains(&span.span_context.span_id()) {
                write_span(&mut out, span, 1, &children, &mut printed);
            }
        }
    }
    out
}

fn write_span(
    out: &mut String,
    span: &SpanData,
    depth: usize,
    children: &HashMap<SpanId, Vec<&SpanData>>,
    printed: &mut HashSet<SpanId>,
) {
    if !printed.insert(span.span_context.span_id()) {
        return;
    }
    let indent = "  ".repeat(depth);
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap_or(Duration::ZERO);
    let _ = write!(
        out,
        "{indent}{}  {}  {:.3} ms",
        span.name,
        kind_name(&span.span_kind),
        duration.as_secs_f64() * 1000.0
    );
    if let Status::Error { description } = &span.status {
        let _ = write!(out, "  ERROR");
        if !description.is_empty() {
            let _ = write!(out, " {description}");
        }
    }
    out.push('\n');

    let mut details: Vec<String> = KEY_ATTRIBUTES
        .iter()
        .filter_map(|key| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == *key)
                .map(|kv| format!("{key}={}", kv.value))
        })
        .collect();
    if !span.events.events.is_empty() {
        let names: Vec<&str> = span.events.events.iter().map(|e| e.name.as_ref()).collect();
        details.push(format!("events=[{}]", names.join(", ")));
    }
    if !details.is_empty() {
        let _ = writeln!(out, "{indent}  | {}", details.join(" "));
    }

    for child in children
        .get(&span.span_context.span_id())
        .into_iter()
        .flatten()
    {
        write_span(out, child, depth + 1, children, printed);
    }
}

fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "CLIENT",
        SpanKind::Server => "SERVER",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
        SpanKind::Internal => "INTERNAL",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::time::{Duration, SystemTime};

    use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
    use opentelemetry::{Context, KeyValue};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    use super::*;

    /// A turn with two children recorded out of start order, an error and an event.
    fn turn_spans() -> Vec<SpanData> {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("test");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let ms = |n: u64| t0 + Duration::from_millis(n);

        let mut turn = tracer
            .span_builder("invoke_agent")
            .with_kind(SpanKind::Client)
            .with_start_time(t0)
            .with_attributes([
                KeyValue::new("gen_ai.operation.name", "invoke_agent"),
                KeyValue::new("gen_ai.request.model", "mistral-medium-latest"),
                KeyValue::new("gen_ai.usage.input_tokens", 12_i64),
                KeyValue::new("gen_ai.response.time_to_first_chunk", 0.25),
                KeyValue::new("error.type", "rate_limited"),
            ])
            .start(&tracer);
        turn.add_event("exception", vec![]);
        turn.set_status(Status::error("Rate limit exceeded"));
        let cx = Context::current_with_span(turn);
        for (name, start) in [("execute_tool web_search", 2), ("chat", 1)] {
            let mut child = tracer
                .span_builder(name)
                .with_start_time(ms(start))
                .with_attributes([KeyValue::new("gen_ai.tool.name", "web_search")])
                .start_with_context(&tracer, &cx);
            child.end_with_timestamp(ms(start + 1));
        }
        cx.span().end_with_timestamp(ms(10));
        exporter.get_finished_spans().unwrap()
    }

    #[test]
    fn children_follow_start_order_with_key_attributes_and_errors() {
        let tree = render_tree(&turn_spans());
        let lines: Vec<&str> = tree.lines().collect();
        assert!(lines[0].starts_with("trace "), "{tree}");
        assert_eq!(
            lines[1..],
            [
                "  invoke_agent  CLIENT  10.000 ms  ERROR Rate limit exceeded",
                "    | gen_ai.request.model=mistral-medium-latest gen_ai.usage.input_tokens=12 \
                 gen_ai.response.time_to_first_chunk=0.25 error.type=rate_limited events=[exception]",
                "    chat  INTERNAL  1.000 ms",
                "      | gen_ai.tool.name=web_search",
                "    execute_tool web_search  INTERNAL  1.000 ms",
                "      | gen_ai.tool.name=web_search",
            ]
        );
    }

    #[test]
    fn span_whose_parent_is_missing_is_shown_as_a_root() {
        let spans: Vec<SpanData> = turn_spans()
            .into_iter()
            .filter(|s| s.name == "chat")
            .collect();
        let tree = render_tree(&spans);
        assert!(tree.contains("\n  chat  INTERNAL  1.000 ms\n"), "{tree}");
        assert_eq!(render_tree(&[]), "");
    }
}
