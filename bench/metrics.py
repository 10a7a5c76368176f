#!/usr/bin/env python3
"""The metrics path under load: memory over a long run and the registry's
cost in throughput (issue 4's figures; reported, not gated).

1. RSS over time: 50 VUs in a tight `http.get` loop against nginx
   (bench/scripts/throughput.js) for DURATION, with `k6r-cli run` and with
   `k6 run`; VmRSS is read from /proc/PID/status every second, and
   /usr/bin/time gives the peak. Reported: RSS at the end of the first
   minute, at the end of the run, the growth between, and the number of
   `http_req_duration` samples (= http_reqs).
2. Throughput with and without the registry sink: the same script for
   THROUGHPUT_DURATION with this tree's `k6r-cli` and with a BASELINE
   binary (the same engine before the registry was wired in), alternated.

    python3 bench/metrics.py --k6r target/release/k6r-cli \\
        --baseline /tmp/k6r-base/target/release/k6r-cli --duration 130s

Prints a Markdown block (paste into bench/RESULTS.md).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SCRIPTS, parse_summary_text, start_nginx  # noqa: E402


def vm_rss_kb(pid):
    """VmRSS of `pid` or of its only child (time(1) wraps the tool)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        target = children[0] if children else pid
        for line in Path(f"/proc/{target}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return None


def run(binary, target, duration, workdir, tag, export_flag=True):
    export = Path(workdir) / f"{tag}.json"
    timing = Path(workdir) / f"{tag}.time"
    args = [binary, "run", "-q"] + (["--summary-export", str(export)] if export_flag else []) + [
            "-e", f"TARGET={target}", "-e", f"DURATION={duration}",
            str(SCRIPTS / "throughput.js")]
    cmd = ["/usr/bin/time", "-f", "%M %e", "-o", str(timing)] + args
    samples = []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "K6_NO_USAGE_REPORT": "true"})
    started = time.monotonic()

    def sample():
        while proc.poll() is None:
            rss = vm_rss_kb(proc.pid)
            if rss:
                samples.append((time.monotonic() - started, rss))
            time.sleep(1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    text, err = proc.communicate()
    sampler.join()
    peak_kb, seconds = timing.read_text().split()[-2:]
    if export.exists():
        reqs = json.loads(export.read_text())["metrics"]["http_reqs"]["count"]
    else:  # a k6r-cli from before --summary-export: its count table
        reqs = parse_summary_text(text).get("http_reqs", 0)
    return {
        "command": " ".join(args).replace(target, "$TARGET").replace(workdir, "$WORK"),
        "exit": proc.returncode,
        "peak_mb": int(peak_kb) / 1024,
        "seconds": float(seconds),
        "requests": reqs,
        "rss": samples,
        "stderr": err.strip().splitlines()[-2:],
    }


def rss_at(samples, t):
    """The last RSS sample taken at or before `t` seconds."""
    before = [rss for at, rss in samples if at <= t]
    return (before[-1] if before else samples[0][1]) / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--k6r", default="target/release/k6r-cli")
    p.add_argument("--k6", default="k6")
    p.add_argument("--baseline", help="k6r-cli without the registry sink")
    p.add_argument("--duration", default="130s")
    p.add_argument("--throughput-duration", default="30s")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--skip-rss", action="store_true")
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        nginx, target = start_nginx(workdir)
        try:
            out = ["| tool | http_req_duration samples | RSS at 60 s | RSS at end | growth | peak RSS | req/s |",
                   "|---|---|---|---|---|---|---|"]
            cmds = []
            if not a.skip_rss:
                for tool, binary in (("k6r", a.k6r), ("k6", a.k6)):
                    r = run(binary, target, a.duration, workdir, f"rss-{tool}")
                    first = rss_at(r["rss"], 60)
                    last = r["rss"][-1][1] / 1024
                    out.append(
                        f"| {tool} | {r['requests']:,} | {first:.1f} MB | {last:.1f} MB | "
                        f"{last - first:+.1f} MB | {r['peak_mb']:.1f} MB | "
                        f"{r['requests'] / r['seconds']:,.0f} |")
                    print(out[-1], file=sys.stderr)
                    cmds.append(f"    /usr/bin/time -f '%M %e' {r['command']}   # exit {r['exit']}")
                    print(f"{tool}: rss curve (s, MB): "
                          + ", ".join(f"{t:.0f}:{kb / 1024:.0f}" for t, kb in r["rss"][::10]),
                          file=sys.stderr)
            if a.baseline:
                rates = {"registry": [], "baseline": []}
                for i in range(a.rounds):
                    for tag, binary in (("registry", a.k6r), ("baseline", a.baseline)):
                        r = run(binary, target, a.throughput_duration, workdir, f"tp-{tag}-{i}",
                                export_flag=tag == "registry")
                        rates[tag].append(r["requests"] / float(a.throughput_duration.rstrip("s")))
                        cmds.append(f"    {r['command']}   # {tag}, exit {r['exit']}")
                with_r = sum(rates["registry"]) / len(rates["registry"])
                without = sum(rates["baseline"]) / len(rates["baseline"])
                out.append("")
                out.append("| k6r-cli | requests/s (mean of rounds) | rounds |")
                out.append("|---|---|---|")
                out.append(f"| with the registry sink | {with_r:,.0f} | "
                           + ", ".join(f"{x:,.0f}" for x in rates["registry"]) + " |")
                out.append(f"| without (baseline) | {without:,.0f} | "
                           + ", ".join(f"{x:,.0f}" for x in rates["baseline"]) + " |")
                out.append(f"\ncost of the registry: {100 * (1 - with_r / without):.1f} %")
            print("\n".join(out))
            print("\nCommands:\n" + "\n".join(cmds))
        finally:
            nginx.kill()


if __name__ == "__main__":
    main()
