#!/usr/bin/env python3
"""Issue 15's observation bar (a figure, not a gate), written to bench/RESULTS.md.

A coordinator and 2 agents run bench/scripts/throughput.js (50 VUs, tight
http.get, nginx target) twice on this machine: once unobserved, once with
20 dashboard viewers (each an open `GET /v1/dashboard/events` stream, read
to the end) and a Prometheus-style scrape of `GET /metrics` every second.
The coordinator's user+system CPU time (/proc/PID/stat) over each run, as %
of one core, and the difference: what watching costs it (bar: < 2 % of a
core at 50,000 samples/s).

    cargo build --release -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
    python3 bench/observe.py [--quick] [--bin DIR]
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cluster import Cluster, cpu_seconds, find_bin, run_cli  # noqa: E402
from run import start_nginx, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/observe.py: begin -->", "<!-- bench/observe.py: end -->"
VIEWERS = 20


def viewer(url, stop, counts, i):
    """One dashboard tab: reads the event stream until `stop`."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/v1/dashboard/events", timeout=5) as r:
                while not stop.is_set():
                    line = r.readline()
                    if not line:
                        break
                    if line.startswith(b"data:"):
                        counts[i] += 1
        except OSError:
            time.sleep(0.2)


def scraper(url, stop, scrapes):
    while not stop.is_set():
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:
                r.read()
                scrapes[0] += 1
        except OSError:
            pass
        stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def measure(bins, workdir, target, duration, observed):
    script = str(ROOT / "bench" / "scripts" / "throughput.js")
    cluster = Cluster(bins, workdir)
    stop = threading.Event()
    frames, scrapes = [0] * VIEWERS, [0]
    threads = []
    try:
        if observed:
            threads = [threading.Thread(target=viewer, args=(cluster.url, stop, frames, i), daemon=True)
                       for i in range(VIEWERS)]
            threads.append(threading.Thread(target=scraper, args=(cluster.url, stop, scrapes), daemon=True))
            for t in threads:
                t.start()
        before = cpu_seconds(cluster.coordinator.pid)
        merged, wall, cmd = run_cli(bins, ["--coordinator", cluster.url, "-e", f"TARGET={target}",
                                           "-e", f"DURATION={duration}", script], workdir)
        cpu = cpu_seconds(cluster.coordinator.pid) - before
    finally:
        stop.set()
        cluster.stop()
        for t in threads:
            t.join(timeout=10)
    secs = float(duration.rstrip("s"))
    samples = merged["http_reqs"]["count"] * 11 + merged["iterations"]["count"] * 2
    return {
        "cpu_pct": 100 * cpu / wall,
        "samples_per_s": samples / secs,
        "frames": sum(frames),
        "scrapes": scrapes[0],
        "cmd": cmd,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test, not the bar)")
    parser.add_argument("--bin", type=Path, help="folder with the release binaries")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    a = parser.parse_args()
    bins = find_bin(a.bin)
    duration = "4s" if a.quick else "15s"
    with tempfile.TemporaryDirectory(prefix="k6r-bench-observe-") as workdir:
        nginx, urls = start_nginx(workdir)
        try:
            quiet = measure(bins, workdir, urls["http"], duration, observed=False)
            watched = measure(bins, workdir, urls["http"], duration, observed=True)
        finally:
            nginx.terminate()
            nginx.wait()
    cost = watched["cpu_pct"] - quiet["cpu_pct"]
    if watched["frames"] == 0 or watched["scrapes"] == 0:
        sys.exit(f"the observers saw nothing: {watched}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rel = lambda p: os.path.relpath(p, ROOT) if str(p).startswith(str(ROOT)) else str(p)
    show = lambda cmd: " ".join(rel(c) if "/" in c else c for c in cmd)
    met = "**met**" if cost < 2 and watched["samples_per_s"] >= 50000 else "**NOT met**"
    body = f"""## Observation bar (issue 15): 20 dashboard viewers and a 1 s scrape

Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} ({os.cpu_count()} cores),
k6r at `{commit}`, binaries from `{rel(bins)}`{' **(quick mode: short runs)**' if a.quick else ''}.
Command: `python3 bench/observe.py{' --quick' if a.quick else ''}`. A coordinator and 2 agents on this
machine run `bench/scripts/throughput.js` ({duration}, nginx target) unobserved, then with {VIEWERS} open
`GET /v1/dashboard/events` streams and a `GET /metrics` every second.

| run | coordinator CPU (% of a core) | samples/s merged | frames read / scrapes |
|---|---|---|---|
| unobserved | {quiet['cpu_pct']:.2f} % | {quiet['samples_per_s']:,.0f} | - |
| watched | {watched['cpu_pct']:.2f} % | {watched['samples_per_s']:,.0f} | {watched['frames']:,} / {watched['scrapes']} |

| bar | measured | |
|---|---|---|
| watching costs the coordinator < 2 % of a core at 50,000 samples/s | {cost:+.2f} % of a core | {met} |

The run's command (the coordinator's URL changes per run):

```
{show(watched['cmd'])}
```

"""
    write_section_between(a.results, BEGIN, END, body)
    print(body)


if __name__ == "__main__":
    main()
