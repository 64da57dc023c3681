#!/usr/bin/env python3
"""Checks that the spans a replay exported landed in Phoenix as the replay recorded them.

The replay's `--otlp-json` file (one ExportTraceServiceRequest per case) is the truth;
Phoenix is read back through its REST API (`GET /v1/projects/{project}/spans`). Each
replay exports to a project of its own, so the two sets of spans must be equal: ids,
trace ids, names, parents, times (to the microsecond Phoenix keeps), status, events and
every attribute, plus one `replay {case}` root per case of the manifest.

Phoenix keeps every OTLP attribute and adds OpenInference ones derived from `gen_ai.*`
(`session.id` from the conversation id, `llm.token_count.prompt` from the input tokens,
`tool.name` from the tool name); both are asserted. It drops the OTLP span kind (its
`span_kind` is the OpenInference kind, UNKNOWN here), so kinds are checked against the
in-process receiver in the Rust tests, not here.

Usage: check.py --url URL --project NAME --otlp-json FILE --fixtures DIR
                --service-name NAME --label TEXT [--wait SECONDS]
Standard library only. Exits 1 with every mismatch listed, 0 with a one-line summary.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

# OTLP status codes as Phoenix names them.
STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}

# OpenInference attributes Phoenix derives from gen_ai.* ones: (derived, source).
DERIVED = [
    ("session.id", "gen_ai.conversation.id"),
    ("llm.token_count.prompt", "gen_ai.usage.input_tokens"),
    ("llm.token_count.completion", "gen_ai.usage.output_tokens"),
    ("tool.name", "gen_ai.tool.name"),
]


def any_value(value):
    """An OTLP JSON AnyValue as the Python value Phoenix returns for it."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    raise ValueError(f"unsupported OTLP value {value!r}")


def attributes(key_values):
    return {kv["key"]: any_value(kv["value"]) for kv in key_values}


def load_otlp_json(path):
    """Spans by span id, and the resource attributes of every line."""
    spans, resources = {}, []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            for resource_spans in json.loads(line)["resourceSpans"]:
                resources.append(attributes(resource_spans["resource"]["attributes"]))
                for scope_spans in resource_spans["scopeSpans"]:
                    for span in scope_spans["spans"]:
                        spans[span["spanId"]] = span
    return spans, resources


def fetch_spans(url, project):
    """Every span of the project, following `next_cursor`."""
    spans, cursor = [], None
    while True:
        query = {"limit": "1000"}
        if cursor:
            query["cursor"] = cursor
        page_url = (
            f"{url}/v1/projects/{urllib.parse.quote(project, safe='')}/spans?"
            + urllib.parse.urlencode(query)
        )
        try:
            with urllib.request.urlopen(page_url, timeout=30) as response:
                page = json.load(response)
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return []  # the project appears with its first ingested span
            raise
        spans.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return spans


def wait_for_spans(url, project, expected, wait_seconds):
    """Phoenix inserts spans in batches: poll until all arrived or time is up."""
    deadline = time.monotonic() + wait_seconds
    while True:
        spans = fetch_spans(url, project)
        if len(spans) >= expected or time.monotonic() >= deadline:
            return spans
        time.sleep(0.5)


def phoenix_micros(timestamp):
    moment = datetime.fromisoformat(timestamp)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def compare_span(span_id, want, got, errors):
    where = f"span {span_id} ({want['name']})"
    if got["context"]["trace_id"] != want["traceId"]:
        errors.append(f"{where}: trace id {got['context']['trace_id']} != {want['traceId']}")
    if got["name"] != want["name"]:
        errors.append(f"{where}: name {got['name']!r}")
    want_parent = want.get("parentSpanId") or None
    if got["parent_id"] != want_parent:
        errors.append(f"{where}: parent {got['parent_id']} != {want_parent}")
    for field, key in (("start_time", "startTimeUnixNano"), ("end_time", "endTimeUnixNano")):
        # Phoenix stores microseconds, rounded through a float.
        if abs(phoenix_micros(got[field]) * 1000 - int(want[key])) > 1000:
            errors.append(f"{where}: {field} {got[field]} != {want[key]} ns")
    status = want.get("status", {})
    want_status = STATUS_NAMES.get(status.get("code", 0), "?")
    if got["status_code"] != want_status:
        errors.append(f"{where}: status {got['status_code']} != {want_status}")
    if want_status == "ERROR" and got["status_message"] != status.get("message", ""):
        errors.append(f"{where}: status message {got['status_message']!r}")
    want_events = [
        (event["name"], attributes(event.get("attributes", []))) for event in want.get("events", [])
    ]
    got_events = [(event["name"], event["attributes"]) for event in got["events"]]
    if got_events != want_events:
        errors.append(f"{where}: events {got_events} != {want_events}")
    want_attributes = attributes(want.get("attributes", []))
    got_attributes = got["attributes"]
    for key, value in want_attributes.items():
        if key not in got_attributes:
            errors.append(f"{where}: attribute {key} missing")
        elif got_attributes[key] != value:
            errors.append(f"{where}: attribute {key} = {got_attributes[key]!r} != {value!r}")
    for derived, source in DERIVED:
        if source in want_attributes and got_attributes.get(derived) != want_attributes[source]:
            errors.append(
                f"{where}: {derived} = {got_attributes.get(derived)!r}, "
                f"expected {source} {want_attributes[source]!r}"
            )


def check(args):
    errors = []
    want, resources = load_otlp_json(args.otlp_json)
    with open(f"{args.fixtures}/manifest.json", encoding="utf-8") as manifest:
        cases = [case["name"] for case in json.load(manifest)["cases"]]
    if not want:
        return [f"{args.otlp_json} holds no span"], 0, ""
    for resource in resources:
        for key, value in (
            ("service.name", args.service_name),
            ("openinference.project.name", args.project),
        ):
            if resource.get(key) != value:
                errors.append(f"resource {key} = {resource.get(key)!r}, expected {value!r}")

    phoenix = wait_for_spans(args.url, args.project, len(want), args.wait)
    got = {}
    for span in phoenix:
        span_id = span["context"]["span_id"]
        if span_id in got:
            errors.append(f"span {span_id} listed twice by Phoenix")
        got[span_id] = span
    for span_id in sorted(want.keys() - got.keys()):
        errors.append(f"span {span_id} ({want[span_id]['name']}) missing from Phoenix")
    for span_id in sorted(got.keys() - want.keys()):
        errors.append(f"span {span_id} ({got[span_id]['name']}) in Phoenix, not in the OTLP JSON")
    for span_id in sorted(want.keys() & got.keys()):
        compare_span(span_id, want[span_id], got[span_id], errors)

    # One trace per case, rooted at `replay {case}`, as the replay promises.
    roots = {}
    for span in got.values():
        if span["parent_id"] is None:
            roots.setdefault(span["name"], []).append(span)
    for case in cases:
        found = roots.pop(f"replay {case}", [])
        if len(found) != 1:
            errors.append(f"case {case}: {len(found)} `replay {case}` root spans in Phoenix")
    for name, spans in sorted(roots.items()):
        errors.append(f"unexpected root span {name!r} ({len(spans)}x)")
    trace_ids = {span["context"]["trace_id"] for span in got.values()}
    if len(trace_ids) != len(cases):
        errors.append(f"{len(trace_ids)} traces in Phoenix for {len(cases)} cases")

    # What the fixtures must always produce, counted on both sides: a silent drop of
    # these would otherwise pass as "nothing to compare".
    want_attributes = [attributes(span.get("attributes", [])) for span in want.values()]
    for label, expected, actual in (
        (
            "execute_tool web_search spans",
            sum(span["name"] == "execute_tool web_search" for span in want.values()),
            sum(span["name"] == "execute_tool web_search" for span in got.values()),
        ),
        (
            "spans with gen_ai.conversation.id",
            sum("gen_ai.conversation.id" in a for a in want_attributes),
            sum("gen_ai.conversation.id" in span["attributes"] for span in got.values()),
        ),
        (
            "spans with gen_ai.usage.input_tokens",
            sum("gen_ai.usage.input_tokens" in a for a in want_attributes),
            sum("gen_ai.usage.input_tokens" in span["attributes"] for span in got.values()),
        ),
    ):
        if expected == 0:
            errors.append(f"the OTLP JSON has no {label}: the fixtures no longer cover them")
        elif actual != expected:
            errors.append(f"{label}: {actual} in Phoenix, {expected} in the OTLP JSON")
    conversations = {
        a["gen_ai.conversation.id"] for a in want_attributes if "gen_ai.conversation.id" in a
    }
    tokens = sum(a.get("gen_ai.usage.input_tokens", 0) for a in want_attributes)
    summary = (
        f"{len(trace_ids)} traces, {len(conversations)} conversation ids, "
        f"{tokens} input tokens"
    )
    return errors, len(want), summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Phoenix base URL, e.g. http://127.0.0.1:6006")
    parser.add_argument("--project", required=True)
    parser.add_argument("--otlp-json", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--service-name", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for ingestion")
    args = parser.parse_args()
    errors, checked, summary = check(args)
    if errors:
        for error in errors:
            print(f"{args.label}: {error}", file=sys.stderr)
        print(f"{args.label}: {len(errors)} mismatches over {checked} spans, FAILED", file=sys.stderr)
        return 1
    print(f"{args.label}: {summary}")
    print(f"{args.label}: {checked} spans checked, OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
