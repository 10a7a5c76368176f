#!/usr/bin/env python3
"""End-to-end test of the compose cluster, run by .ci/run.

Builds the image (deploy/build.sh), starts deploy/docker-compose.yml with
3 agents under a project name of its own, on free loopback ports, and
drives it with the host's k6r-cli as a user would:

1. the externally-controlled tutorial through the coordinator: scale to 2
   (max 10), pause, scale to 5, resume, status shows 5 VUs, stats, stop
   (exit 103);
2. a shared-iterations run of 3,000 iterations split over the 3 agents:
   exactly 3,000 iterations in --summary-export;
3. an agent container killed mid-run: the agent-loss outcome (exit 111,
   partial, the agent named) within seconds;
4. an agent disconnected from the network (docker network disconnect)
   with --on-agent-loss continue: the run ends with a partial summary
   naming the lost agent.

Everything is torn down at the end, failed or not, and the test checks
that no container or network of its project is left.

    python3 deploy/e2e.py                     # needs Docker with docker-compose
    K6R_PROFILE=debug python3 deploy/e2e.py   # a debug build, as CI does
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPOSE_FILE = os.path.join(ROOT, "deploy", "docker-compose.yml")
# K6R_PROFILE=debug tests a debug build, as CI does (deploy/build.sh).
PROFILE = os.environ.get("K6R_PROFILE", "release")
CLI = os.path.join(ROOT, "target", "x86_64-unknown-linux-musl", PROFILE, "k6r-cli")
PROJECT = f"k6r-e2e-{os.getpid()}"
TARGET_IN_CLUSTER = "http://target:8080"


def log(message):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compose_command():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


class Cluster:
    def __init__(self, env):
        self.env = env
        self.base = compose_command() + ["-p", PROJECT, "-f", COMPOSE_FILE]

    def compose(self, *args, check=True, timeout=180):
        return subprocess.run(
            self.base + list(args), env=self.env, check=check, timeout=timeout,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def agents(self):
        out = self.compose("ps", "-q", "agent").stdout.split()
        return [c for c in out if c]

    def down(self):
        self.compose("down", "-v", "--remove-orphans", "--timeout", "5", check=False)

    def leftovers(self):
        label = f"label=com.docker.compose.project={PROJECT}"
        containers = subprocess.run(
            ["docker", "ps", "-aq", "--filter", label], stdout=subprocess.PIPE, text=True
        ).stdout.split()
        networks = subprocess.run(
            ["docker", "network", "ls", "-q", "--filter", label], stdout=subprocess.PIPE, text=True
        ).stdout.split()
        return containers, networks


def http_get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def wait_until(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError, subprocess.SubprocessError, ValueError) as e:
            last = e
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def cli(*args, timeout=60):
    return subprocess.run(
        [CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout
    )


def status(address):
    out = cli("status", "-a", address, timeout=10)
    if out.returncode != 0:
        raise ValueError(out.stderr)
    fields = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(": ")
        fields[key.strip()] = value.strip().strip('"')
    return fields


def start_run(coordinator, script, *extra):
    args = [CLI, "run", "--coordinator", coordinator, "-e", f"K6R_TARGET={TARGET_IN_CLUSTER}", *extra, script]
    log("$ " + " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in args))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the run did not end within {timeout}s\n{out}\n{err}")
    return process.returncode, out, err


def expect(condition, message, *details):
    if not condition:
        raise AssertionError(message + "".join("\n" + str(d) for d in details))


def wait_ready(coordinator, agents):
    def ready():
        code, body = http_get(f"{coordinator}/readyz")
        return code == 200
    wait_until(f"{agents} agents at {coordinator}/readyz", ready, 90)


def wait_running(address):
    # k6's status 7: the scenarios run and take commands (`running` is
    # already true during setup, status 6, as in k6).
    return wait_until("the run to be running", lambda: status(address).get("status") == "7", 60)


def externally_controlled(coordinator, address):
    run = start_run(coordinator, os.path.join(ROOT, "examples", "externally-controlled.js"),
                    "-e", "DURATION=2m", "-e", "SLEEP=0.2")
    try:
        wait_running(address)
        expect(status(address)["vus"] == "0", "the test starts with 0 VUs", status(address))
        out = cli("scale", "--vus", "2", "--max", "10", "-a", address)
        expect(out.returncode == 0, "scale --vus 2 --max 10", out.stdout, out.stderr)
        wait_until("2 VUs", lambda: status(address)["vus"] == "2", 20)
        for step in (["pause"], ["scale", "--vus", "5"], ["resume"]):
            out = cli(*step, "-a", address)
            expect(out.returncode == 0, " ".join(step), out.stdout, out.stderr)
        now = wait_until("5 VUs after resume", lambda: status(address)["vus"] == "5" and status(address), 20)
        expect(now["paused"] == "false", "resumed", now)
        # Agents send their metrics once a second: the first iterations
        # may not have reached the coordinator yet.
        def stats_with_iterations():
            stats = cli("stats", "-a", address)
            expect(stats.returncode == 0, "stats", stats.stdout, stats.stderr)
            return "iterations" in stats.stdout
        wait_until("stats to list iterations", stats_with_iterations, 10)
        out = cli("stop", "-a", address)
        expect(out.returncode == 0, "stop", out.stdout, out.stderr)
        code, stdout, stderr = finish(run, 90)
        expect(code == 103, f"a stopped run exits 103, got {code}", stdout, stderr)
        log("externally-controlled: scaled 0 → 2 → (paused) 5, stats, stop → 103")
    finally:
        if run.poll() is None:
            run.kill()


def segmented(coordinator, workdir):
    export = os.path.join(workdir, "shared.json")
    run = start_run(coordinator, os.path.join(ROOT, "examples", "shared-iterations.js"),
                    "-e", "ITERATIONS=3000", "--summary-export", export)
    code, stdout, stderr = finish(run, 180)
    expect(code == 0, f"the shared-iterations run exits 0, got {code}", stdout, stderr)
    with open(export) as f:
        summary = json.load(f)
    iterations = summary["metrics"]["iterations"]["count"]
    expect(iterations == 3000, f"3,000 iterations over 3 agents, got {iterations}", stdout)
    log("shared-iterations over 3 agents: 3,000 iterations")


def agent_loss(cluster, coordinator, address, how, policy, expected_code):
    run = start_run(coordinator, os.path.join(ROOT, "examples", "constant-vus.js"),
                    "-e", f"DURATION={'40s' if policy == 'abort' else '12s'}", "--on-agent-loss", policy)
    try:
        wait_running(address)
        time.sleep(2)  # let every agent report some load first
        victim = cluster.agents()[0]
        lost_at = time.monotonic()
        if how == "kill":
            subprocess.run(["docker", "kill", victim], check=True, stdout=subprocess.DEVNULL)
        else:
            network = f"{PROJECT}_default"
            subprocess.run(["docker", "network", "disconnect", "-f", network, victim], check=True)
        if policy == "abort":
            code, stdout, stderr = finish(run, 60)
            took = time.monotonic() - lost_at
            expect(took < 20, f"the abort outcome came {took:.1f}s after the loss")
        else:
            code, stdout, stderr = finish(run, 90)
        expect(code == expected_code, f"{how}/{policy}: exit {expected_code}, got {code}", stdout, stderr)
        expect(re.search(r"partial", stdout + stderr, re.I), f"{how}/{policy}: the summary says partial", stdout, stderr)
        log(f"agent {how} with --on-agent-loss {policy}: exit {code}, partial summary")
        return victim
    finally:
        if run.poll() is None:
            run.kill()


def main():
    if not os.path.exists(CLI) or "--no-build" not in sys.argv:
        log("building the image: deploy/build.sh")
        tag = subprocess.run([os.path.join(ROOT, "deploy", "build.sh")], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.strip()
        log(f"image {tag}")
    port = free_port()
    env = dict(os.environ, K6R_PORT=str(port), K6R_TARGET_PORT=str(free_port()), K6R_AGENTS="3")
    env.pop("K6R_TOKEN", None)
    cluster = Cluster(env)
    coordinator = f"http://127.0.0.1:{port}"
    address = f"127.0.0.1:{port}"
    workdir = tempfile.mkdtemp(prefix="k6r-e2e-")
    failed = False
    try:
        log(f"starting the cluster ({PROJECT}) with 3 agents")
        cluster.compose("up", "-d", "--scale", "agent=3")
        wait_ready(coordinator, 3)
        externally_controlled(coordinator, address)
        segmented(coordinator, workdir)
        agent_loss(cluster, coordinator, address, "kill", "abort", 111)
        cluster.compose("up", "-d", "--scale", "agent=3")
        wait_ready(coordinator, 3)
        # The others finish the plan; a run that lost an agent and otherwise
        # passed exits 112, "finished, but degraded" (the README's cluster section).
        agent_loss(cluster, coordinator, address, "disconnect", "continue", 112)
        log("all passed")
    except Exception:
        failed = True
        logs = cluster.compose("logs", "--no-color", "--tail", "60", check=False).stdout
        print(logs[-20000:], file=sys.stderr)
        raise
    finally:
        cluster.down()
        shutil.rmtree(workdir, ignore_errors=True)
        containers, networks = cluster.leftovers()
        if containers or networks:
            print(f"left behind: containers {containers}, networks {networks}", file=sys.stderr)
            if not failed:
                sys.exit(1)


if __name__ == "__main__":
    main()
