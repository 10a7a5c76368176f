#!/usr/bin/env python3
"""Issue 17's steering figures (figures, not gates), written to bench/RESULTS.md.

1. rate change to the target, in a cluster: a coordinator and 2 agents on
   127.0.0.1 run a constant-arrival-rate scenario (100/s) against nginx,
   whose access log records every request's `$msec`. While it runs,
   `PATCH /v1/scenarios/steer` on the coordinator changes the rate
   (100 -> 400 -> 200 -> 800 by default). A change's delay is from the
   moment the PATCH was sent to the first instant t from which every
   forward window [t', t' + 0.5 s] (t' from t on, for --stay seconds)
   counts the new rate within 2 %. Run once with the coordinator's default
   `--change-delay` (250ms: the instant a change is applied is chosen that
   far ahead) and once with each --change-delay given (1s by default, what
   the start's --start-delay is).
   Bar: <= 1 s.
2. the autopilot's knee against a configured capacity: nginx with
   `limit_req` at N requests/s (503 above it, serving a static file), and
   `k6r-cli run --autopilot probe --slo 'http_req_failed: rate<0.01'`
   from 50/s; the knee it reports against N, for each --capacity.
   Bar: within 10 %. A cluster autopilot (`--coordinator URL --autopilot`)
   is tried too and reported only if k6r accepts it.

    cargo build --release --locked -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo
    python3 bench/autopilot.py [--quick] [--bin DIR] [--capacity 200 1000 3000]

Why a 0.5 s window, not 200 ms: at 200/s a 200 ms window holds 40
requests, and 2 % of that is less than one request; 0.5 s keeps the 2 %
meaningful at every rate used. A forward window starting at t measures
the rate from t on, so the delay is not lengthened by the window.
"""

import argparse
import bisect
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cluster import Cluster, find_bin  # noqa: E402
from run import free_port, launch_nginx, write_section_between  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/autopilot.py: begin -->", "<!-- bench/autopilot.py: end -->"
WINDOW = 0.5   # s, the forward window a rate is counted over
TOLERANCE = 0.02


def start_nginx(workdir, location, http_extra=""):
    """nginx (1 worker) on a free 127.0.0.1 port with `location /` as
    given, serving `workdir`/www/index.html; returns the process and its
    URL."""
    www = Path(workdir) / "www"
    www.mkdir(exist_ok=True)
    (www / "index.html").write_text("ok\n")
    # nginx's worker drops root's rights: it must read the file.
    os.chmod(workdir, 0o755)
    os.chmod(www, 0o755)
    port = free_port()
    proc = launch_nginx(workdir, port, f"""
  {http_extra}
  server {{
    listen 127.0.0.1:{port};
    location / {{ {location} }}
  }}""")
    return proc, f"http://127.0.0.1:{port}/"


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


STEER_SCRIPT = """import http from 'k6/http';
export const options = { discardResponseBodies: true, scenarios: { steer: {
  executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s',
  duration: __ENV.DURATION, preAllocatedVUs: 50, maxVUs: 400 } } };
export default function () { http.get(__ENV.TARGET); }
"""


def patch_rate(url, scenario, rate):
    body = json.dumps({"data": {"type": "scenarios", "id": scenario, "attributes": {"rate": rate}}}).encode()
    req = urllib.request.Request(f"{url}/v1/scenarios/{scenario}", data=body, method="PATCH",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def scenario_running(url, scenario):
    try:
        with urllib.request.urlopen(f"{url}/v1/scenarios", timeout=2) as r:
            data = json.load(r)["data"]
    except (OSError, ValueError, KeyError):
        return False
    return any(s.get("id") == scenario and s["attributes"].get("state") == "running" for s in data)


def settle_time(stamps, sent, until, rate, stay, tolerance=TOLERANCE):
    """The first instant t >= `sent` from which every forward window of
    WINDOW s starting in [t, t + stay] counts `rate` within `tolerance`
    (None: never before `until`); as seconds after `sent`."""
    step = 0.005
    ok = []
    t = sent
    while t + WINDOW <= until:
        n = bisect.bisect_left(stamps, t + WINDOW) - bisect.bisect_left(stamps, t)
        ok.append((t, abs(n / WINDOW - rate) <= tolerance * rate))
        t += step
    need = int(stay / step)
    # From the end: how many good windows in a row start at each instant.
    run, lengths = 0, [0] * len(ok)
    for i in range(len(ok) - 1, -1, -1):
        run = run + 1 if ok[i][1] else 0
        lengths[i] = run
    first = next((i for i, n in enumerate(lengths) if n > need), None)
    return None if first is None else ok[first][0] - sent


def rate_change(bins, workdir, rates, hold, stay, change_delay, quick):
    """One cluster run: rates[0] at the start, each later rate PATCHed in
    turn, `hold` s apart; the delay of each change."""
    log = Path(workdir) / "access.log"
    log.unlink(missing_ok=True)
    nginx, target = start_nginx(
        workdir, "root www; access_log " + str(log) + " stamps;",
        http_extra="log_format stamps '$msec';")
    script = Path(workdir) / "steer.js"
    script.write_text(STEER_SCRIPT)
    lead = 4 if quick else 6
    duration = f"{lead + hold * (len(rates) - 1) + 2:g}s"
    coordinator_args = [] if change_delay is None else ["--change-delay", change_delay]
    changes = []
    cluster = run = None
    try:
        cluster = Cluster(bins, workdir, coordinator_args=coordinator_args)
        cmd = [str(bins / "k6r-cli"), "run", "-q", "--coordinator", cluster.url, "-e", f"TARGET={target}",
               "-e", f"RATE={rates[0]}", "-e", f"DURATION={duration}", str(script)]
        run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(f"{workdir}/cli.log", "w"))
        deadline = time.monotonic() + 30
        while not scenario_running(cluster.url, "steer"):
            if time.monotonic() > deadline or run.poll() is not None:
                sys.exit(f"the scenario did not start: see {workdir}/cli.log")
            time.sleep(0.05)
        time.sleep(lead - 1)
        for old, new in zip(rates, rates[1:]):
            sent = time.time()
            patch_rate(cluster.url, "steer", new)
            answered = time.time()
            changes.append({"from": old, "to": new, "sent": sent, "patch_ms": 1000 * (answered - sent)})
            time.sleep(hold)
        if run.wait(timeout=120) != 0:
            sys.exit(f"k6r-cli run exited {run.returncode}: see {workdir}/cli.log")
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        if cluster is not None:
            cluster.stop()
        stop(nginx)
    stamps = sorted(float(line) for line in log.read_text().split())
    ends = [c["sent"] for c in changes[1:]] + [stamps[-1]]
    for c, until in zip(changes, ends):
        c["delay"] = settle_time(stamps, c["sent"], until, c["to"], stay)
        c["delay5"] = settle_time(stamps, c["sent"], until, c["to"], stay, tolerance=0.05)
        # The rate over the hold's second half: what the agents produced.
        mid = c["sent"] + (until - c["sent"]) / 2
        c["achieved"] = (bisect.bisect_left(stamps, until) - bisect.bisect_left(stamps, mid)) / (until - mid)
    shown = [("k6r-coordinator --listen 127.0.0.1:0 --agents 2" + "".join(f" {a}" for a in coordinator_args)),
             "k6r-agent --coordinator $COORDINATOR --name agent-N   # twice",
             " ".join(cmd).replace(cluster.url, "$COORDINATOR").replace(target, "$TARGET")
             .replace(str(workdir), "$WORK").replace(str(bins) + "/", "")]
    return changes, shown


KNEE_SCRIPT = """import http from 'k6/http';
export const options = { discardResponseBodies: true, scenarios: { probe: {
  executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s',
  duration: __ENV.DURATION, preAllocatedVUs: 50, maxVUs: 1000 } } };
export default function () { http.get(__ENV.TARGET); }
"""

SLO = "http_req_failed: rate<0.01"


def knee(bins, workdir, capacity, start, duration, window, coordinator=None):
    """One autopilot run against nginx limited to `capacity`/s; its
    report (None: the CLI refused the flags, e.g. no cluster autopilot)."""
    burst = max(capacity // 10, 1)
    nginx, target = start_nginx(
        workdir, f"limit_req zone=capacity burst={burst} nodelay; root www;",
        http_extra=f"limit_req_zone $binary_remote_addr zone=capacity:1m rate={capacity}r/s;")
    script = Path(workdir) / "probe.js"
    script.write_text(KNEE_SCRIPT)
    report = Path(workdir) / f"report-{capacity}.json"
    report.unlink(missing_ok=True)
    cmd = [str(bins / "k6r-cli"), "run", "-q"]
    if coordinator:
        cmd += ["--coordinator", coordinator]
    cmd += ["--autopilot", "probe", "--slo", SLO, "--autopilot-window", window,
            "--autopilot-report", str(report), "-e", f"TARGET={target}", "-e", f"RATE={start}",
            "-e", f"DURATION={duration}", str(script)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        stop(nginx)
    shown = (" ".join(repr(c) if " " in c else c for c in cmd)
             .replace(target, "$TARGET").replace(str(workdir), "$WORK").replace(str(bins) + "/", ""))
    if coordinator:
        shown = shown.replace(coordinator, "$COORDINATOR")
    if out.returncode != 0 or not report.exists():
        if coordinator:
            return None, shown, (out.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"{shown} exited {out.returncode}\n{out.stderr[-2000:]}")
    r = json.loads(report.read_text())
    windows = r["windows"]
    searched = [w for w in windows if w["phase"] != "hold"]
    held = [w for w in windows if w["phase"] == "hold"]
    return {
        "capacity": capacity,
        "knee": r.get("knee_rate"),
        "held": r.get("held_rate"),
        "limiting": r.get("limiting"),
        "phase": r.get("phase"),
        "windows": len(windows),
        "search_windows": len(searched),
        "to_hold": held[0]["from_s"] if held else None,
        "rates": [round(w["rate"]) for w in searched],
        "verdict": r.get("verdict"),
    }, shown, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test, not the bars)")
    parser.add_argument("--bin", type=Path, help="folder with the release binaries")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 400, 200, 800])
    parser.add_argument("--hold", type=float, default=8.0, help="seconds between two changes")
    parser.add_argument("--stay", type=float, default=3.0, help="seconds the new rate must hold")
    parser.add_argument("--change-delay", nargs="*", default=["1s"],
                        help="coordinator --change-delay values tried beside its default")
    parser.add_argument("--capacity", type=int, nargs="+", default=[200, 1000, 3000])
    parser.add_argument("--start", type=int, default=50, help="the autopilot's first rate")
    parser.add_argument("--duration", default="90s", help="each autopilot run's duration")
    parser.add_argument("--window", default="2s", help="--autopilot-window")
    parser.add_argument("--skip-steer", action="store_true")
    parser.add_argument("--skip-knee", action="store_true")
    a = parser.parse_args()
    if a.quick:
        a.hold, a.stay, a.capacity, a.duration = 5.0, 2.0, a.capacity[:1], "40s"
    bins = find_bin(a.bin)
    steer, knees, cluster_knee = [], [], None
    with tempfile.TemporaryDirectory(prefix="k6r-bench-autopilot-") as workdir:
        if not a.skip_steer:
            for delay in [None, *a.change_delay]:
                changes, shown = rate_change(bins, workdir, a.rates, a.hold, a.stay, delay, a.quick)
                steer.append((delay, changes, shown))
                for c in changes:
                    print(f"change-delay {delay or 'default'}: {c['from']} -> {c['to']}/s: {seconds(c['delay'])} "
                          f"(5 %: {seconds(c['delay5'])}), PATCH {c['patch_ms']:.0f} ms, "
                          f"{c['achieved']:.1f}/s in the hold's second half", flush=True)
        if not a.skip_knee:
            for capacity in a.capacity:
                k, shown, _ = knee(bins, workdir, capacity, a.start, a.duration, a.window)
                knees.append((k, shown))
                print(f"capacity {capacity}/s: {k}", flush=True)
            cluster = Cluster(bins, workdir)
            try:
                k, shown, refused = knee(bins, workdir, a.capacity[0], a.start, a.duration, a.window,
                                         coordinator=cluster.url)
            finally:
                cluster.stop()
            cluster_knee = (k, shown, refused)
            print(f"cluster autopilot: {k or refused}", flush=True)
    body = render(a, bins, steer, knees, cluster_knee)
    write_section_between(a.results, BEGIN, END, body)
    print(body)


def seconds(delay):
    return "never within the hold" if delay is None else f"{delay:.3f} s"


def render(a, bins, steer, knees, cluster_knee):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rel = os.path.relpath(bins, ROOT) if str(bins).startswith(str(ROOT)) else str(bins)
    met = lambda ok: "**met**" if ok else "**NOT met**"
    lines = [
        "## Steer (issue 17): rate change to the target, autopilot's knee", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores), k6r at `{commit}`, binaries from `{rel}`"
        f"{' **(quick mode: short runs)**' if a.quick else ''}. Target, coordinator, agents and "
        "nginx share the same 2 cores.", "",
        f"Reproduce: `python3 bench/autopilot.py{' --quick' if a.quick else ''}"
        f"{'' if a.duration == '90s' or a.quick else f' --duration {a.duration}'}` (needs nginx: "
        "`apt-get install nginx-light`).", "",
    ]
    if steer:
        lines += [
            "**Rate change to the target, in a cluster** (bar: ≤ 1 s). A coordinator and 2 agents run a "
            f"constant-arrival-rate scenario against nginx, which logs each request's `$msec`; "
            f"`PATCH /v1/scenarios/steer` changes the rate every {a.hold:g} s. Delay: from the moment the "
            f"PATCH was sent to the first instant from which every {WINDOW:g} s window counts the new rate "
            f"within {TOLERANCE:.0%} for {a.stay:g} s. The coordinator applies a change at an instant "
            "`--change-delay` ahead (default 250ms), on every agent at once.", "",
            "| coordinator | change | delay to within 2 % | delay to within 5 % | PATCH answered in | rate at the target, hold's 2nd half |",
            "|---|---|---|---|---|---|",
        ]
        for delay, changes, _ in steer:
            for c in changes:
                lines.append(f"| `--change-delay {delay or '250ms'}`{'' if delay else ' (default)'} | "
                             f"{c['from']} → {c['to']}/s | {seconds(c['delay'])} | {seconds(c['delay5'])} | "
                             f"{c['patch_ms']:.0f} ms | {c['achieved']:.1f}/s |")
        lines += ["", "| coordinator | median delay (2 %) | max delay (2 %) | median / max (5 %) | median PATCH | bar ≤ 1 s (2 %) |",
                  "|---|---|---|---|---|---|"]
        inf = float("inf")
        stat = lambda xs, f: "never" if f(xs) == inf else f"{f(xs):.3f} s"
        for delay, changes, _ in steer:
            ds = [inf if c["delay"] is None else c["delay"] for c in changes]
            d5 = [inf if c["delay5"] is None else c["delay5"] for c in changes]
            lines.append(f"| `--change-delay {delay or '250ms'}` | {stat(ds, statistics.median)} | {stat(ds, max)} | "
                         f"{stat(d5, statistics.median)} / {stat(d5, max)} | "
                         f"{statistics.median(c['patch_ms'] for c in changes):.0f} ms | {met(max(ds) <= 1)} |")
        lines += ["", "Commands (nginx with `log_format stamps '$msec'` on a free port; then the PATCHes):", "", "```"]
        for delay, _, shown in steer:
            lines += shown
        lines += ["curl -X PATCH $COORDINATOR/v1/scenarios/steer -d "
                  "'{\"data\":{\"type\":\"scenarios\",\"id\":\"steer\",\"attributes\":{\"rate\":400}}}'", "```", ""]
    if knees:
        lines += [
            "**The autopilot's knee against a configured capacity** (bar: within 10 %). nginx's "
            "`limit_req_zone ... rate=N r/s; limit_req zone=capacity burst=N/10 nodelay;` serving a "
            f"static file answers 503 above N/s; the autopilot starts at {a.start}/s with "
            f"`--slo '{SLO}' --autopilot-window {a.window}` for {a.duration}.", "",
            "| capacity | knee_rate | held_rate | error | limiting | windows (search + hold) | time to the hold | rates searched | bar |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for k, _ in knees:
            err = None if k["knee"] is None else abs(k["knee"] - k["capacity"]) / k["capacity"]
            knee_s = "-" if k["knee"] is None else f"{k['knee']:,.1f}/s"
            held_s = "-" if k["held"] is None else f"{k['held']:,.1f}/s"
            err_s = "-" if err is None else f"{100 * err:.1f} %"
            hold_s = "-" if k["to_hold"] is None else f"{k['to_hold']:.1f} s"
            lines.append(
                f"| {k['capacity']:,}/s | {knee_s} | {held_s} | {err_s} | {k['limiting']} | {k['windows']} "
                f"({k['search_windows']} + {k['windows'] - k['search_windows']}) | {hold_s} | "
                f"{' → '.join(map(str, k['rates']))} | {met(err is not None and err <= 0.1)} |")
        lines += ["", "Commands (nginx on a free port):", "", "```"]
        lines += [shown for _, shown in knees]
        lines += ["```", ""]
    if cluster_knee and cluster_knee[0] is not None:  # a refused cluster autopilot is left out
        k, shown, _ = cluster_knee
        err = abs(k["knee"] - k["capacity"]) / k["capacity"] if k["knee"] else None
        lines += [f"Cluster autopilot (coordinator + 2 agents, capacity {k['capacity']:,}/s): knee "
                  f"{k['knee']}, error {'-' if err is None else f'{100 * err:.1f} %'}, limiting "
                  f"{k['limiting']}, {k['windows']} windows. Command: `{shown}`", ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
