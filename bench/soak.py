#!/usr/bin/env python3
"""Issue 13's soak (a figure, not a gate), written to bench/RESULTS.md.

A cluster run of a coordinator and 2 agents (release binaries) on this
machine, for an hour by default: a constant-arrival-rate scenario at a
steady 1,000 requests/s against nginx, and an externally-controlled
scenario (pinned to one agent) whose VUs `k6r-cli scale` changes every
minute (1 -> 3 -> 2 -> 1 ...). Every 10 s the resident memory (VmRSS) of
the coordinator and of each agent is read. Reported: RSS at the start
(the mean of minutes 1-5, after warm-up), at the end (the mean of the
last 5 minutes) and their ratio; requests/s and dropped iterations over
the run. Flat memory is an end/start ratio near 1.

    cargo build --release -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
    python3 bench/soak.py [--minutes 60] [--bin DIR]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cluster import Cluster, find_bin  # noqa: E402
from run import start_nginx, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/soak.py: begin -->", "<!-- bench/soak.py: end -->"
RATE = 1000
SAMPLE_EVERY = 10
VUS_CYCLE = [1, 3, 2]

SCRIPT = """import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    steady: { executor: 'constant-arrival-rate', rate: __ENV.RATE, timeUnit: '1s',
              duration: __ENV.DURATION, preAllocatedVUs: 50, maxVUs: 200, exec: 'steady' },
    steered: { executor: 'externally-controlled', vus: 1, maxVUs: 5, duration: __ENV.DURATION,
               exec: 'steered' },
  },
};
export function steady() { http.get(__ENV.TARGET); }
export function steered() { http.get(__ENV.TARGET); sleep(1); }
"""


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--bin", type=Path)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    bins = find_bin(args.bin)
    work = tempfile.mkdtemp(prefix="k6r-soak-")
    nginx, target = start_nginx(work)
    cluster = Cluster(bins, work, agents=2)
    script = Path(work) / "soak.js"
    script.write_text(SCRIPT)
    export = f"{work}/export.json"
    duration = f"{args.minutes}m"
    cmd = [str(bins / "k6r-cli"), "run", "-q", "--coordinator", cluster.url, "--summary-export", export,
           "-e", f"TARGET={target['http']}", "-e", f"RATE={RATE}", "-e", f"DURATION={duration}", str(script)]
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(f"{work}/cli.log", "w"))
    names = ["coordinator", "agent-1", "agent-2"]
    pids = [p.pid for p in cluster.procs]
    samples = []  # (minute, [rss per process])
    changes = refused = 0
    started = time.monotonic()
    next_change = started + 60
    try:
        while run.poll() is None:
            time.sleep(SAMPLE_EVERY)
            minute = (time.monotonic() - started) / 60
            samples.append((minute, [rss_kib(pid) for pid in pids]))
            if time.monotonic() >= next_change:
                vus = VUS_CYCLE[changes % len(VUS_CYCLE)]
                out = subprocess.run([str(bins / "k6r-cli"), "scale", "--vus", str(vus), "-a",
                                      cluster.url.removeprefix("http://")], capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    refused += 1
                    print(f"scale --vus {vus} failed: {out.stderr.strip()}", flush=True)
                changes += 1
                next_change += 60
            print(f"{minute:6.1f} min  " + "  ".join(f"{n} {r / 1024:.1f} MiB" for n, r in zip(names, samples[-1][1])), flush=True)
    finally:
        run.wait()
        cluster.stop()
        nginx.terminate()
    code = run.returncode
    metrics = json.loads(Path(export).read_text())["metrics"]
    reqs = metrics["http_reqs"]["count"]
    dropped = metrics.get("dropped_iterations", {}).get("count", 0)
    elapsed = time.monotonic() - started
    start = [statistics.mean(s[1][i] for s in samples if 1 <= s[0] <= 5) for i in range(3)]
    end = [statistics.mean(s[1][i] for s in samples if s[0] >= samples[-1][0] - 5) for i in range(3)]
    rows = "\n".join(
        f"| {n} | {a / 1024:.1f} MiB | {b / 1024:.1f} MiB | {b / a:.2f} |" for n, a, b in zip(names, start, end))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    body = f"""## Soak: an hour-long cluster run (issue 13)

`python3 bench/soak.py --minutes {args.minutes}` at commit {commit}: a coordinator and 2 agents
(release binaries) on this 2-core machine, {RATE} requests/s (constant-arrival-rate) against nginx
plus an externally-controlled scenario scaled by `k6r-cli scale` every minute ({changes} changes, {refused} failed),
for {args.minutes} minutes; resident memory read every {SAMPLE_EVERY} s.

| process | RSS, minutes 1-5 | RSS, last 5 minutes | end / start |
|---|---|---|---|
{rows}

{reqs:.0f} requests in {elapsed:.0f} s ({reqs / elapsed:.0f}/s), {dropped:.0f} dropped iterations, exit code {code}.

"""
    write_section_between(args.results, BEGIN, END, body)
    print(body)


if __name__ == "__main__":
    main()
