#!/usr/bin/env bash
# A real trace backend in the loop: replays tests/fixtures/mistral through the instrumented
# client, exports every span to Arize Phoenix over OTLP/HTTP and OTLP/gRPC, reads the spans
# back through Phoenix's REST API and checks them against the replay's own OTLP JSON.
#
# Usage: bash tests/phoenix/run.sh
# Environment:
#   PHOENIX_VENV   venv holding Phoenix, reused when it imports the pinned version
#                  (default ~/.cache/mistral-otel/phoenix-venv, about 850 MB)
#   PYTHON         interpreter the venv is made from (default python3; Phoenix needs 3.11+)
# Fails loudly (non-zero, with the reason) when Phoenix cannot be installed or started.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"

PHOENIX_VERSION=20.26.1
VENV="${PHOENIX_VENV:-$HOME/.cache/mistral-otel/phoenix-venv}"
PYTHON="${PYTHON:-python3}"
FIXTURES="$ROOT/tests/fixtures/mistral"
HEALTH_TIMEOUT=120

START=$(date +%s)
STEP_START=$START
step() {
    local now
    now=$(date +%s)
    echo "--- $* (+$((now - START)) s)"
    STEP_START=$now
}
step_done() { echo "    done in $(($(date +%s) - STEP_START)) s"; }
fail() { echo "phoenix: FAILED: $*" >&2; exit 1; }

step "venv $VENV (arize-phoenix==$PHOENIX_VERSION)"
venv_ready() {
    [ -x "$VENV/bin/phoenix" ] && "$VENV/bin/python" -c "
import importlib.metadata, sys
import phoenix
sys.exit(importlib.metadata.version('arize-phoenix') != '$PHOENIX_VERSION')
" >/dev/null 2>&1
}
if venv_ready; then
    echo "    cached"
else
    if [ -e "$VENV" ]; then
        # Only ever delete what is recognisably a venv.
        [ -f "$VENV/pyvenv.cfg" ] || fail "$VENV exists and is not a venv; remove it or set PHOENIX_VENV"
        rm -rf "$VENV"
    fi
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV" || fail "cannot create a venv with '$PYTHON -m venv $VENV'"
    if ! "$VENV/bin/pip" install --disable-pip-version-check --quiet "arize-phoenix==$PHOENIX_VERSION"; then
        rm -rf "$VENV"
        fail "pip install arize-phoenix==$PHOENIX_VERSION failed (see pip's output above)"
    fi
    venv_ready || fail "arize-phoenix==$PHOENIX_VERSION installed but does not import in $VENV"
fi
echo "    $(du -sh "$VENV" | cut -f1) on disk"
step_done

step "cargo build -p mistral-otel-replay"
cargo build --quiet -p mistral-otel-replay
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
REPLAY="$TARGET_DIR/debug/replay"
[ -x "$REPLAY" ] || fail "no replay binary at $REPLAY after the build"
step_done

step "phoenix serve"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mistral-otel-phoenix.XXXXXX")
PHOENIX_PID=""
cleanup() {
    local status=$?
    if [ -n "$PHOENIX_PID" ] && kill -0 "$PHOENIX_PID" 2>/dev/null; then
        kill "$PHOENIX_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$PHOENIX_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$PHOENIX_PID" 2>/dev/null || true
        wait "$PHOENIX_PID" 2>/dev/null || true
    fi
    if [ "$status" -eq 0 ]; then
        rm -rf "$WORK"
    else
        echo "phoenix: logs kept in $WORK" >&2
    fi
    echo "--- total $(($(date +%s) - START)) s"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_ports() {
    "$VENV/bin/python" -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
'
}
read -r HTTP_PORT GRPC_PORT < <(free_ports) || true
[ -n "${GRPC_PORT:-}" ] || fail "cannot find two free TCP ports on 127.0.0.1"
URL="http://127.0.0.1:$HTTP_PORT"
mkdir -p "$WORK/phoenix"
# gRPC always binds all interfaces ([::]); the port is random and lives only this run.
# No external resources: Phoenix would otherwise try to download a WASM sandbox and
# reach a docs server at startup.
PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$HTTP_PORT" PHOENIX_GRPC_PORT="$GRPC_PORT" \
    PHOENIX_TELEMETRY_ENABLED=false PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
    PHOENIX_WORKING_DIR="$WORK/phoenix" \
    "$VENV/bin/phoenix" serve >"$WORK/phoenix.log" 2>&1 &
PHOENIX_PID=$!
echo "    pid $PHOENIX_PID, http $URL, grpc :$GRPC_PORT, working dir $WORK/phoenix"
deadline=$(($(date +%s) + HEALTH_TIMEOUT))
until curl -fsS --max-time 2 "$URL/healthz" >/dev/null 2>&1; do
    if ! kill -0 "$PHOENIX_PID" 2>/dev/null; then
        tail -n 40 "$WORK/phoenix.log" >&2
        fail "phoenix serve exited before answering $URL/healthz (log tail above)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        tail -n 40 "$WORK/phoenix.log" >&2
        fail "phoenix serve did not answer $URL/healthz within $HEALTH_TIMEOUT s (log tail above)"
    fi
    sleep 0.5
done
step_done

# One project per transport (Phoenix reads openinference.project.name from the resource),
# so each check sees exactly the spans of its own run.
replay_and_check() {
    local transport=$1 protocol=$2 endpoint=$3
    local project="mistral-otel-$transport" service="mistral-otel-replay-$transport"
    local json="$WORK/$transport.otlp.jsonl"
    step "replay over $protocol to $endpoint (project $project)"
    # Inherited per-signal settings would win over the ones given here. Phoenix takes
    # traces only (20.26.1 serves no OTLP logs: POST /v1/logs is refused, and its gRPC
    # server registers the TraceService alone, so the LogsService is UNIMPLEMENTED):
    # metrics and logs (the GenAI events) stay off, or every export of theirs would fail.
    if ! env -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \
        -u OTEL_EXPORTER_OTLP_HEADERS -u OTEL_EXPORTER_OTLP_TRACES_HEADERS \
        OTEL_EXPORTER_OTLP_PROTOCOL="$protocol" OTEL_EXPORTER_OTLP_ENDPOINT="$endpoint" \
        OTEL_SERVICE_NAME="$service" OTEL_RESOURCE_ATTRIBUTES="openinference.project.name=$project" \
        MISTRAL_OTEL_METRICS=false OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
        "$REPLAY" "$FIXTURES" --otlp-json "$json" >"$WORK/$transport.replay.log" 2>&1; then
        tail -n 40 "$WORK/$transport.replay.log" >&2
        fail "replay over $protocol failed (log tail above)"
    fi
    tail -n 1 "$WORK/$transport.replay.log"
    "$VENV/bin/python" "$ROOT/tests/phoenix/check.py" --url "$URL" --project "$project" \
        --otlp-json "$json" --fixtures "$FIXTURES" --service-name "$service" \
        --label "phoenix $transport" || fail "Phoenix's spans differ from the $transport replay's"
    step_done
}
replay_and_check http http/protobuf "$URL"
replay_and_check grpc grpc "http://127.0.0.1:$GRPC_PORT"

kill -0 "$PHOENIX_PID" 2>/dev/null || fail "phoenix serve died during the checks"
step "phoenix: 2 transports checked, OK"
