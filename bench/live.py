#!/usr/bin/env python3
"""Issue 5's live-control figures for `k6r-cli run` (figures, not gates).

1. scale-up: `PATCH /v1/status {"vus":N}` (maxVUs N, from 0) until every one
   of the N VUs has started an iteration (`first_iterations` reaches N in
   `/v1/metrics`), measured from the PATCH response; median over --tries
   fresh runs.
2. vus-max stall: with --running VUs iterating every 10 ms, raise `vus-max`
   by N; the largest lateness of an iteration start (`gap` max) before and
   after, and how long the PATCH took.

    cargo build --release -p k6r-cli
    python3 bench/live.py [--vus 1000] [--tries 5] [--running 100]

Uses `-a 127.0.0.1:0` (k6r logs the address it got), never a fixed port.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "scripts" / "live.js"
BIN = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "k6r-cli"


class Run:
    """A `k6r-cli run -a 127.0.0.1:0` child; killed on exit."""

    def __init__(self, max_vus):
        env = dict(os.environ, MAX=str(max_vus))
        env.pop("K6R_ADDRESS", None)
        self.proc = subprocess.Popen(
            [str(BIN), "run", "-q", "--no-summary", "-a", "127.0.0.1:0", str(SCRIPT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.addr = None
        found = threading.Event()

        def read():
            for line in self.proc.stderr:
                m = re.search(r'msg="REST API listening" address="?([^" ]+)', line)
                if m and not found.is_set():
                    self.addr = m.group(1)
                    found.set()
        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.kill()
            sys.exit("k6r-cli run did not report its API address")

    def url(self, path):
        return f"http://{self.addr}{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=10) as r:
            return json.load(r)

    def patch(self, attributes):
        body = json.dumps({"data": {"attributes": attributes}}).encode()
        req = urllib.request.Request(self.url("/v1/status"), data=body, method="PATCH")
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)

    def sample(self, name):
        try:
            return self.get(f"/v1/metrics/{name}")["data"]["attributes"]["sample"]
        except urllib.error.HTTPError:
            return {}

    def until(self, ok, what, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ok():
                return time.monotonic()
            time.sleep(0.002)
        self.kill()
        sys.exit(f"timed out waiting for {what}")

    def ready(self):
        self.until(lambda: self.get("/v1/status")["data"]["attributes"]["status"] == 7, "status 7")

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def scale_up(n, tries):
    times = []
    for _ in range(tries):
        run = Run(n)
        try:
            run.ready()
            run.patch({"vus": n})
            t0 = time.monotonic()
            t1 = run.until(lambda: run.sample("first_iterations").get("count", 0) >= n,
                           f"{n} VUs iterating")
            times.append((t1 - t0) * 1000)
        finally:
            run.kill()
    return times


def vus_max_stall(running, extra):
    run = Run(running)
    try:
        run.ready()
        run.patch({"vus": running})
        run.until(lambda: run.sample("first_iterations").get("count", 0) >= running, "warm-up")
        time.sleep(2)  # a baseline of lateness while nothing else happens
        before = run.sample("gap").get("max", 0)
        t0 = time.monotonic()
        run.patch({"vus-max": running + extra})
        patch_ms = (time.monotonic() - t0) * 1000
        run.until(lambda: run.get("/v1/status")["data"]["attributes"]["vus-max"] == running + extra,
                  "vus-max")
        done_ms = (time.monotonic() - t0) * 1000
        # The `vus_max` gauge (ticked every second) counts initialised VUs.
        run.until(lambda: run.sample("vus_max").get("value", 0) >= running + extra,
                  "initialised VUs")
        init_ms = (time.monotonic() - t0) * 1000
        time.sleep(1)  # let late iterations report
        after = run.sample("gap").get("max", 0)
        return before, after, patch_ms, done_ms, init_ms
    finally:
        run.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vus", type=int, default=1000)
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--running", type=int, default=100)
    ap.add_argument("--no-scale", action="store_true", help="only the vus-max figure")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"{BIN} missing: cargo build --release -p k6r-cli")
    times = [] if args.no_scale else scale_up(args.vus, args.tries)
    if times:
        print(f"scale 0 -> {args.vus} VUs: median {statistics.median(times):.1f} ms "
              f"(tries: {', '.join(f'{t:.1f}' for t in times)})")
    before, after, patch_ms, done_ms, init_ms = vus_max_stall(args.running, args.vus)
    print(f"vus-max +{args.vus} with {args.running} VUs running: PATCH answered in "
          f"{patch_ms:.1f} ms, vus-max reported after {done_ms:.1f} ms, all initialised "
          f"within {init_ms:.0f} ms (1 s gauge); max iteration lateness {before:.1f} ms "
          f"before, {after:.1f} ms after")


if __name__ == "__main__":
    main()
