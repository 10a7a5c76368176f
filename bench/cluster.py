#!/usr/bin/env python3
"""Issue 6's cluster figures (figures, not gates), written to bench/RESULTS.md.

1. throughput: the same script (bench/scripts/throughput.js: 50 VUs, tight
   http.get, 15 s, nginx target) with one `k6r-cli run`, then with a
   coordinator and 2 agents on this machine (`k6r-cli run --coordinator`);
   requests/s of the cluster over requests/s of the single process
   (bar: >= 90 %).
2. coordinator CPU: its user+system CPU time (/proc/PID/stat) over the
   cluster run, as % of one core, and the samples/s the agents' deltas
   carried (11 samples per request + 2 per iteration, k6's per-request and
   per-iteration metrics) (bar: < 5 % of a core at 50,000 samples/s).
3. live lag: a constant-arrival-rate run over 2 agents against the demo
   target; every 100 ms the target's served-request count and the
   coordinator's `/v1/metrics/http_reqs` count are read; the lag of a
   reading is how long before it the target had already served that many
   (bar: <= 2 s).

    deploy/build.sh   # or: cargo build --release -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
    python3 bench/cluster.py [--quick] [--bin DIR]
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import start_nginx, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/cluster.py: begin -->", "<!-- bench/cluster.py: end -->"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def find_bin(explicit):
    candidates = [explicit] if explicit else [
        ROOT / "target" / "release",
        ROOT / "target" / "x86_64-unknown-linux-musl" / "release",
    ]
    for c in candidates:
        if c and all((Path(c) / b).exists() for b in ("k6r-cli", "k6r-coordinator", "k6r-agent", "k6r-demo-target")):
            return Path(c)
    sys.exit("no release binaries: run deploy/build.sh or cargo build --release -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo")


def listening(cmd, log):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    for line in proc.stdout:
        # `host:port`, with or without a scheme (the demo target says
        # `http://host:port`).
        m = re.match(r"listening on (?:https?://)?(\S+)", line)
        if m:
            return proc, m.group(1)
    sys.exit(f"{cmd[0]} did not start: see {log}")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def get_json(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.loads(r.read())


def agent_workers(agents):
    """The VU threads of each of `agents` agents on this machine: they
    share its CPUs, each running its VUs on its part of them, as one
    process runs its VUs on all of them."""
    return max(1, (os.cpu_count() or 1) // agents)


class Cluster:
    def __init__(self, bins, workdir, agents=2, coordinator_args=()):
        self.procs = []
        coord, addr = listening(
            [str(bins / "k6r-coordinator"), "--listen", "127.0.0.1:0", "--agents", str(agents),
             *coordinator_args],
            f"{workdir}/coordinator.log")
        self.procs.append(coord)
        self.coordinator = coord
        self.url = f"http://{addr}"
        workers = str(agent_workers(agents))
        for n in range(agents):
            self.procs.append(subprocess.Popen(
                [str(bins / "k6r-agent"), "--coordinator", self.url, "--name", f"agent-{n + 1}",
                 "--workers", workers],
                stdout=subprocess.DEVNULL, stderr=open(f"{workdir}/agent-{n + 1}.log", "w")))
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        sys.exit("the cluster did not become ready")

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def run_cli(bins, args, workdir):
    export = f"{workdir}/export.json"
    cmd = [str(bins / "k6r-cli"), "run", "-q", "--summary-export", export, *args]
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {out.returncode}\n{out.stderr[-2000:]}")
    metrics = json.loads(Path(export).read_text())["metrics"]
    return metrics, time.monotonic() - started, cmd


def throughput(bins, workdir, quick, rounds):
    """One process against the cluster, `rounds` times alternating; the
    figures are the medians (a single pair swings by 15 % on this
    machine)."""
    nginx, urls = start_nginx(workdir)
    target = urls["http"]
    duration = "3s" if quick else "15s"
    script = str(ROOT / "bench" / "scripts" / "throughput.js")
    env = ["-e", f"TARGET={target}", "-e", f"DURATION={duration}"]
    secs = float(duration.rstrip("s"))
    local_rps, cluster_rps, cpu_pct, samples_per_s = [], [], [], []
    try:
        for _ in range(rounds):
            local, _, local_cmd = run_cli(bins, [*env, script], workdir)
            cluster = Cluster(bins, workdir)
            try:
                before = cpu_seconds(cluster.coordinator.pid)
                merged, wall, cluster_cmd = run_cli(bins, ["--coordinator", cluster.url, *env, script], workdir)
                coordinator_cpu = cpu_seconds(cluster.coordinator.pid) - before
            finally:
                cluster.stop()
            local_rps.append(local["http_reqs"]["count"] / secs)
            cluster_rps.append(merged["http_reqs"]["count"] / secs)
            cpu_pct.append(100 * coordinator_cpu / wall)
            samples = merged["http_reqs"]["count"] * 11 + merged["iterations"]["count"] * 2
            samples_per_s.append(samples / secs)
            print(f"   round {len(local_rps)}: one process {local_rps[-1]:,.0f} req/s, cluster {cluster_rps[-1]:,.0f}",
                  flush=True)
    finally:
        nginx.terminate()
        nginx.wait()
    med = statistics.median
    return {
        "local_rps": med(local_rps),
        "cluster_rps": med(cluster_rps),
        "ratio": med(c / l for c, l in zip(cluster_rps, local_rps)),
        "rounds": rounds,
        "pairs": list(zip(local_rps, cluster_rps)),
        "coordinator_cpu_pct": med(cpu_pct),
        "samples_per_s": med(samples_per_s),
        "commands": [local_cmd, cluster_cmd],
    }


LAG_SCRIPT = """import http from 'k6/http';
export const options = { scenarios: { rate: { executor: 'constant-arrival-rate', rate: 500, timeUnit: '1s',
  duration: __ENV.DURATION, preAllocatedVUs: 20, maxVUs: 100 } } };
export default function () { http.get(__ENV.TARGET); }
"""


def live_lag(bins, workdir, quick):
    target_proc, target = listening([str(bins / "k6r-demo-target"), "--listen", "127.0.0.1:0"], f"{workdir}/target.log")
    script = Path(workdir) / "lag.js"
    script.write_text(LAG_SCRIPT)
    duration = "5s" if quick else "15s"
    cluster = Cluster(bins, workdir)
    served, seen = [], []
    try:
        run = subprocess.Popen([str(bins / "k6r-cli"), "run", "-q", "--coordinator", cluster.url,
                                "-e", f"TARGET=http://{target}/", "-e", f"DURATION={duration}", str(script)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while run.poll() is None:
            now = time.monotonic()
            try:
                served.append((now, get_json(f"http://{target}/stats")["requests"]))
                m = get_json(f"{cluster.url}/v1/metrics/http_reqs")
                count = m["data"]["attributes"]["sample"].get("count", 0)
                seen.append((time.monotonic(), count))
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.1)
        run.wait()
    finally:
        cluster.stop()
        target_proc.terminate()
        target_proc.wait()
    lags = []
    for t, count in seen:
        if count == 0:
            continue
        first = next((ts for ts, n in served if n >= count), None)
        if first is not None:
            lags.append(max(0.0, t - first))
    if not lags:
        sys.exit("no live metrics were read")
    return {"median": statistics.median(lags), "max": max(lags), "n": len(lags), "duration": duration}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test, not the bars)")
    parser.add_argument("--bin", type=Path, help="folder with the release binaries")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--rounds", type=int, default=3, help="throughput pairs, alternating (medians)")
    a = parser.parse_args()
    bins = find_bin(a.bin)
    with tempfile.TemporaryDirectory(prefix="k6r-bench-cluster-") as workdir:
        t = throughput(bins, workdir, a.quick, a.rounds)
        lag = live_lag(bins, workdir, a.quick)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rel = lambda p: os.path.relpath(p, ROOT) if str(p).startswith(str(ROOT)) else str(p)
    show = lambda cmd: " ".join(rel(c) if "/" in c else c for c in cmd)
    met = lambda ok: "**met**" if ok else "**NOT met**"
    pairs = "; ".join(f"{c:,.0f} vs {l:,.0f}" for l, c in t["pairs"])
    body = f"""## Cluster bars (issue 6): coordinator + 2 agents on this machine

Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} ({os.cpu_count()} cores),
k6r at `{commit}`, binaries from `{rel(bins)}`{' **(quick mode: short runs)**' if a.quick else ''}.
Command: `python3 bench/cluster.py{' --quick' if a.quick else ''} --rounds {a.rounds}`. Everything (target, coordinator,
agents) shares the same 2 cores, so the cluster pays for a second process's runtime and the
coordinator on the cores that generate load.

| bar | measured | |
|---|---|---|
| cluster req/s ≥ 90 % of one `k6r-cli run` (≥ 95 % since issue 18) | {t['cluster_rps']:,.0f} vs {t['local_rps']:,.0f} req/s, median ratio {100 * t['ratio']:.1f} % over {t['rounds']} alternating pairs ({pairs}) | {met(t['ratio'] >= 0.95)} |
| coordinator CPU < 5 % of a core at 50,000 samples/s | {t['coordinator_cpu_pct']:.2f} % of a core while merging {t['samples_per_s']:,.0f} samples/s | {met(t['coordinator_cpu_pct'] < 5 and t['samples_per_s'] >= 50000)} |
| live metrics lag ≤ 2 s | median {lag['median']:.2f} s, max {lag['max']:.2f} s over {lag['n']} readings ({lag['duration']} at 500 it/s) | {met(lag['max'] <= 2)} |

Commands of the throughput pair (nginx target on a free port); the cluster's 2 agents run
`k6r-agent --coordinator URL --name agent-N --workers {agent_workers(2)}`: they
share this machine's CPUs, each running its VUs on its part of them.

```
{show(t['commands'][0])}
{show(t['commands'][1])}
```

Samples/s = (http_reqs × 11 + iterations × 2) / duration: the samples the agents aggregated into the
deltas the coordinator merged (one delta per agent per second, never raw samples). The lag compares
the demo target's served-request count with the coordinator's `GET /v1/metrics/http_reqs` read at the
same moments.

"""
    write_section_between(a.results, BEGIN, END, body)
    print(body)


if __name__ == "__main__":
    main()
