#!/usr/bin/env bash
# k6r's quick start, one command on a fresh machine: builds k6r, starts the
# demo target, a coordinator and two agents on 127.0.0.1 (free ports), runs
# a test split over the two agents with live progress on the screen, prints
# the merged summary, and stops everything it started.
#
#   ./deploy/quickstart.sh                       # examples/constant-vus.js, 10 s
#   ./deploy/quickstart.sh examples/ramping-vus.js
#
# K6R_PROFILE=debug reuses a debug build (what the tests use).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
script=${1:-examples/constant-vus.js}
profile=${K6R_PROFILE:-release}
duration=${DURATION:-10s}

if [ "$profile" = release ]; then
    cargo build --release --locked -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
else
    cargo build --locked -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
fi
bin="$root/target/$profile"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts "$@" in the background as $name, logging to $work/$name.log (in
# this shell, so that cleanup knows its pid).
start() {
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
}

# Prints the address of $name's "listening on ADDR" line once it is there.
address() {
    local name=$1
    for _ in $(seq 100); do
        if addr=$(grep -m1 -o 'listening on .*' "$work/$name.log" 2>/dev/null); then
            # HOST:PORT, whether the line names a scheme or not.
            addr=${addr#listening on }
            echo "${addr#*://}"
            return
        fi
        sleep 0.1
    done
    echo "quickstart: $name did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}

start target "$bin/k6r-demo-target" --listen 127.0.0.1:0
target=$(address target)
start coordinator "$bin/k6r-coordinator" --listen 127.0.0.1:0 --agents 2
coordinator=$(address coordinator)
for n in 1 2; do
    start "agent-$n" "$bin/k6r-agent" --coordinator "http://$coordinator" --name "agent-$n"
done
echo "demo target http://$target, coordinator http://$coordinator, 2 agents"

"$bin/k6r-cli" run --coordinator "http://$coordinator" --summary-export "$work/summary.json" \
    -e "K6R_TARGET=http://$target" -e "DURATION=$duration" "$script"

# A run whose requests failed is no quick start, whatever its thresholds say.
failed=$(tr -d ' \t\n' <"$work/summary.json" | grep -o '"http_req_failed":{[^}]*}' |
    grep -o '"passes":[0-9]*' | grep -o '[0-9]*$' || true)
if [ "${failed:-missing}" != 0 ]; then
    echo "quickstart: ${failed:-no} failed request(s) to the demo target" >&2
    exit 1
fi
