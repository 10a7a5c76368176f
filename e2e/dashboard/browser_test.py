#!/usr/bin/env python3
"""The dashboard in a real browser: Debian's headless chromium, driven by
selenium through the system chromedriver, opens the coordinator's page
during a cluster run of an externally-controlled scenario, sees the
charts grow, scales the run from the page (GET /v1/status then shows the
new VU count), pauses and resumes it, sees a refused scale's error on the
page, stops it, opens the saved report from a file, and checks the browser
console stayed clean. It saves a screenshot and prints its path.

Processes run on 127.0.0.1, port 0 (addresses read from their
`listening on ADDR` lines), from the debug build:

    python3 e2e/dashboard/browser_test.py [--bin DIR] [--screenshot PATH] [--points N]

Needs: chromium and chromium-driver (Debian), selenium (PyPI).
"""

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# No Selenium Manager: the system chromedriver and chromium, no downloads.
os.environ.setdefault("SE_OFFLINE", "true")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "dashboard-test-token"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"

SCRIPT = """import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = {
  scenarios: {
    ext: { executor: 'externally-controlled', vus: 2, maxVUs: 8, duration: '5m' },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<1000', 'p(99)<0.001'],
  },
};
export default function () {
  check(http.get(__ENV.TARGET), { 'status 200': (r) => r.status === 200 });
  sleep(0.05);
}
"""


class Processes:
    """Every process started, stopped at the end (children of this one)."""

    def __init__(self, work):
        self.work = work
        self.procs = []

    def start(self, name, args, env=None, listening=False):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE if listening else log,
            stderr=log,
            env={**os.environ, **(env or {})},
            cwd=self.work,
            text=True,
        )
        self.procs.append((name, proc))
        if not listening:
            return proc, None
        lines = queue.Queue()

        def read():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("listening on "):
                addr = line.split()[-1]
                return proc, addr.split("://")[-1]
        raise SystemExit(f"{name} printed no `listening on` line; see {log.name}")

    def stop(self):
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def rest(addr, method, path, body=None):
    """A REST call with the token: (status, JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://{addr}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def until(what, check, timeout=30.0):
    """Polls `check` until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def errors(log):
    return [e for e in log if e.get("level") == "SEVERE"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    parser.add_argument("--bin", default=os.path.join(target_dir, "debug"),
                        help="where k6r-coordinator, k6r-agent, k6r-cli and k6r-demo-target are")
    parser.add_argument("--screenshot", help="where to save the screenshot (default: a temporary file)")
    parser.add_argument("--points", type=int, default=8,
                        help="points on the charts before the screenshot (one a second)")
    args = parser.parse_args()
    bin_ = lambda name: os.path.join(args.bin, name)  # noqa: E731

    work = tempfile.mkdtemp(prefix="k6r-dashboard-")
    screenshot = args.screenshot or os.path.join(work, "dashboard.png")
    procs = Processes(work)
    driver = None
    try:
        _, target = procs.start("target", [bin_("k6r-demo-target"), "--listen", "127.0.0.1:0"],
                                listening=True)
        _, addr = procs.start("coordinator", [
            bin_("k6r-coordinator"), "--listen", "127.0.0.1:0", "--agents", "2",
            "--heartbeat-interval", "500ms", "--token", TOKEN,
        ], listening=True)
        for n in (1, 2):
            procs.start(f"agent-{n}", [
                bin_("k6r-agent"), "--coordinator", f"http://{addr}", "--name", f"agent-{n}",
                "--token", TOKEN,
            ])
        until("the coordinator's readiness", lambda: rest(addr, "GET", "/readyz")[0] == 200)

        with open(os.path.join(work, "script.js"), "w") as f:
            f.write(SCRIPT)
        cli, _ = procs.start("cli", [
            bin_("k6r-cli"), "run", "--coordinator", f"http://{addr}",
            "-e", f"TARGET=http://{target}", "script.js",
        ], env={"K6R_TOKEN": TOKEN})

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1400,1100"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.get(f"http://{addr}/?token={TOKEN}")
        assert "token=" not in driver.current_url, driver.current_url

        points = lambda: int(driver.find_element(By.ID, "chart-vus").get_attribute("data-points") or 0)  # noqa: E731
        run_text = lambda: driver.find_element(By.ID, "run").text  # noqa: E731
        until("the run on the page", lambda: "running" in run_text(), timeout=60)
        first = until("points on the charts", points)
        until("the charts to grow", lambda: points() > first + 1)
        print(f"charts grew from {first} to {points()} points", flush=True)
        # Requests charted by agent (a line each; the one that runs the
        # pinned scenario alone has latencies) and by scenario.
        for chart, lines in (("chart-agent-reqs", 2), ("chart-agent-p95", 1), ("chart-scenario-reqs", 1)):
            until(f"{lines} lines on {chart}",
                  lambda: driver.find_element(By.ID, chart).get_attribute("data-series") == str(lines)
                  and driver.find_element(By.ID, chart).is_displayed())
        rows = driver.find_elements(By.CSS_SELECTOR, "#agents tbody tr")
        assert len(rows) == 2, [r.text for r in rows]
        # No autopilot steers this run.
        assert driver.find_element(By.ID, "autopilot").text == "none"
        thresholds = driver.find_elements(By.CSS_SELECTOR, "#thresholds li")
        assert len(thresholds) == 3, [t.text for t in thresholds]
        # p(99)<0.001 ms cannot hold: red on the page.
        until("the failing threshold in red", lambda: driver.find_elements(By.CSS_SELECTOR, "#thresholds li.fail"))

        def control(button, vus=None):
            if vus is not None:
                field = driver.find_element(By.ID, "vus")
                field.clear()
                field.send_keys(str(vus))
            driver.find_element(By.ID, button).click()

        def status():
            code, body = rest(addr, "GET", "/v1/status")
            assert code == 200, body
            return body["data"]["attributes"]

        control("scale", 5)
        until("5 VUs in GET /v1/status", lambda: status()["vus"] == 5)
        until("the page's VU legend", lambda: "active 5" in driver.find_element(By.ID, "chart-vus").text)
        message = driver.find_element(By.ID, "message").text
        assert message.startswith("scale to 5:"), message
        print(f"scaled from the page: {message}", flush=True)

        control("pause")
        until("paused in GET /v1/status", lambda: status()["paused"] is True)
        control("resume")
        until("resumed in GET /v1/status", lambda: status()["paused"] is False)

        # Some more points for the picture, then it.
        until("more points", lambda: points() >= max(args.points, first + 1), timeout=args.points + 30)
        driver.save_screenshot(screenshot)
        print(f"screenshot: {screenshot}", flush=True)

        log = driver.get_log("browser")
        assert not errors(log), f"browser console errors: {errors(log)}"

        # A scale past maxVUs is refused; the page says why.
        control("scale", 100)
        refused = until("the refusal on the page",
                        lambda: "refused" in driver.find_element(By.ID, "message").text
                        and driver.find_element(By.ID, "message").text)
        assert "error" in driver.find_element(By.ID, "message").get_attribute("class"), refused
        print(f"refused scale shown: {refused}", flush=True)
        # The only console error since: the browser's note of that 4xx.
        unexpected = [e for e in errors(driver.get_log("browser")) if "/v1/status" not in e["message"]]
        assert not unexpected, f"browser console errors: {unexpected}"

        control("stop")
        until("the run to finish on the page", lambda: "finished" in run_text(), timeout=60)
        code = cli.wait(timeout=60)
        print(f"run finished on the page: {run_text()} (k6r-cli exit {code})", flush=True)
        assert not errors(driver.get_log("browser"))

        # The saved report, opened from a file: the same charts, offline.
        code, report = rest(addr, "GET", "/v1/dashboard/report")
        assert code == 200, report
        saved = os.path.join(work, "report.html")
        with open(saved, "w") as f:
            f.write(report)
        live_points = points()
        driver.get(f"file://{saved}")
        assert "finished" in run_text(), run_text()
        assert points() >= live_points - 1, (points(), live_points)
        assert not driver.find_element(By.ID, "scale").is_displayed()
        assert not errors(driver.get_log("browser"))
        print(f"report: {len(report)} bytes, {points()} points, offline", flush=True)
        print("ok: the dashboard followed and controlled the run")
    except BaseException:
        print(f"logs of the processes: {work}", file=sys.stderr)
        raise
    else:
        # Keep the screenshot (printed above) and nothing else.
        for name in os.listdir(work):
            path = os.path.join(work, name)
            if path != screenshot:
                (shutil.rmtree if os.path.isdir(path) else os.remove)(path)
        if not os.listdir(work):
            os.rmdir(work)
    finally:
        if driver is not None:
            driver.quit()
        procs.stop()

if __name__ == "__main__":
    sys.exit(main())
