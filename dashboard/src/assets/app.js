// k6r's dashboard: follows the coordinator's frames (live page) or draws
// the history inlined in a saved report. No dependencies: the charts are
// chart.js's, loaded before this script.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { Chart, duration } = k6rChart;

  // ---- what is charted ----------------------------------------------------

  // One line per part (`scenarios` or `agents`) with a value of `field`
  // in the points, first seen first.
  const byPart = (parts, field) => (points) => {
    const names = [];
    for (const p of points) {
      for (const [name, part] of Object.entries(p[parts] || {})) {
        if (part[field] !== null && part[field] !== undefined && !names.includes(name)) {
          names.push(name);
        }
      }
    }
    return names.map((name) => ({
      key: name,
      label: name,
      value: (p) => (p[parts] && p[parts][name] ? p[parts][name][field] : undefined),
    }));
  };

  // The charts of each part of a run (`scenarios` or `agents`), one line
  // per part; those of the request metrics are empty (hidden) where the
  // parts' requests are not known apart.
  function partCharts(parts, part) {
    return [
      ["vus", "VUs", {}],
      ["rates", "iterations/s", {}, "iterations_rate"],
      ["reqs", "requests/s", {}, "http_reqs_rate"],
      ["p95", "http_req_duration p95 (ms, run so far)", {}],
      ["failed", "http_req_failed", { max: 1, percent: true }, "http_req_failed"],
      ["checks", "checks passed", { max: 1, percent: true }],
    ].map(([name, title, options, field]) => ({
      id: `chart-${part}-${name}`,
      title: `${title} by ${part}`,
      series: byPart(parts, field || name),
      ...options,
    }));
  }

  const CHARTS = [
    { id: "chart-rates", title: "Throughput (/s)", series: [
      { key: "http_reqs_rate", label: "requests" },
      { key: "iterations_rate", label: "iterations" }] },
    { id: "chart-vus", title: "VUs", series: [
      { key: "vus", label: "active" },
      { key: "vus_max", label: "initialised" }] },
    { id: "chart-latency", title: "http_req_duration (ms, run so far)", series: [
      { key: "p50", label: "p50" }, { key: "p90", label: "p90" },
      { key: "p95", label: "p95" }, { key: "p99", label: "p99" }] },
    { id: "chart-failed", title: "http_req_failed", max: 1, percent: true, series: [
      { key: "http_req_failed", label: "failed" }] },
    { id: "chart-checks", title: "checks passed", max: 1, percent: true, series: [
      { key: "checks", label: "passed" }] },
    ...partCharts("scenarios", "scenario"),
    ...partCharts("agents", "agent"),
  ];
  // Past this many points the page reloads the server's (bounded) history.
  const MAX_POINTS = 7200;

  // ---- state and rendering ------------------------------------------------

  const charts = CHARTS.map((spec) => new Chart(spec));
  let runId = null;
  let points = [];

  function drawCharts() {
    for (const chart of charts) chart.draw(points);
  }

  function renderRun(run) {
    if (!run) { $("run").textContent = "no run yet"; return; }
    const parts = [run.id, run.state, duration(run.point.elapsed_ms)];
    if (run.paused) parts.push("paused");
    if (run.stopped) parts.push("stopped");
    parts.push(`${run.http_reqs.toLocaleString("en")} requests`);
    if (run.exit_code !== null && run.exit_code !== undefined) parts.push(`exit code ${run.exit_code}`);
    $("run").textContent = parts.join(" · ");
    $("run").title = run.message || "";
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function renderAgents(agents) {
    const rows = agents.map((a) => {
      const tr = document.createElement("tr");
      const age = a.heartbeat_age_secs === null ? "–" : `${a.heartbeat_age_secs.toFixed(1)}s ago`;
      tr.append(cell(a.name), cell(a.state), cell(String(a.vus), "num"),
        cell(a.iterations.toLocaleString("en"), "num"), cell(String(a.cpus), "num"), cell(age));
      return tr;
    });
    $("agents").tBodies[0].replaceChildren(...rows);
  }

  function renderThresholds(thresholds) {
    const items = thresholds.map((t) => {
      const li = document.createElement("li");
      li.className = t.failing ? "fail" : "ok";
      li.textContent = `${t.metric}: ${t.source}`;
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "none";
      items.push(li);
    }
    $("thresholds").replaceChildren(...items);
  }

  // The autopilot: its verdict, and where the search is.
  function renderAutopilot(autopilot) {
    const p = $("autopilot");
    if (!autopilot) {
      p.className = "none";
      p.textContent = "none";
      return;
    }
    const rate = (r) => `${Math.round(r * 100) / 100}/s`;
    p.className = autopilot.limiting === "generator" ? "fail" : "ok";
    const last = autopilot.last ? `; last window ${autopilot.last}` : "";
    p.textContent = `${autopilot.scenario}: ${autopilot.phase} at ${rate(autopilot.rate)}` +
      ` (${autopilot.windows} windows${last}). ${autopilot.verdict}`;
  }

  // A frame: the tables, and the run's point appended to the charts.
  function onFrame(frame) {
    const run = frame.run;
    renderRun(run);
    renderAgents(frame.agents);
    renderThresholds(run ? run.thresholds : []);
    renderAutopilot(run ? run.autopilot : null);
    if (!run) return;
    if (run.id !== runId) { runId = run.id; points = []; }
    // The server charts the scenarios only; so does the page.
    if (run.state === "running") {
      const last = points[points.length - 1];
      if (!last || last.elapsed_ms !== run.point.elapsed_ms) points.push(run.point);
    }
    if (points.length > MAX_POINTS) {
      // The server's history is bounded; a failure waits for the next frame.
      loadHistory().catch(() => {});
      return;
    }
    drawCharts();
  }

  function showHistory(history) {
    runId = history.frame.run ? history.frame.run.id : null;
    points = history.points;
    onFrame(history.frame);
    drawCharts();
  }

  // ---- the saved report ---------------------------------------------------

  const inlined = $("k6r-report");
  if (inlined) {
    showHistory(JSON.parse(inlined.textContent));
    return;
  }

  // ---- the token and the REST API -----------------------------------------

  const TOKEN_KEY = "k6r-token";
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }
  const auth = () => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: `Bearer ${token}` } : {};
  };

  function say(text, kind) {
    const message = $("message");
    message.textContent = text;
    message.className = `message ${kind || ""}`;
  }

  // k6's error body is {"errors":[{"title","detail"}]}.
  async function problem(res) {
    const text = await res.text();
    try {
      const e = JSON.parse(text).errors[0];
      return `${res.status} ${e.title}: ${e.detail}`;
    } catch (_) {
      return `${res.status} ${text || res.statusText}`;
    }
  }

  let tokenWanted = null;
  function askForToken() {
    $("token-form").hidden = false;
    return new Promise((resolve) => { tokenWanted = resolve; });
  }
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token-form").hidden = true;
    if (tokenWanted) { tokenWanted(); tokenWanted = null; }
  });

  async function patchStatus(attributes, what) {
    try {
      const res = await fetch("/v1/status", {
        method: "PATCH",
        headers: { ...auth(), "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "status", id: "default", attributes } }),
      });
      if (!res.ok) { say(`${what} refused: ${await problem(res)}`, "error"); return; }
      const status = (await res.json()).data.attributes;
      say(`${what}: ${status.vus} VUs of ${status.vus_max ?? status["vus-max"]}${status.paused ? ", paused" : ""}`, "ok");
    } catch (e) {
      say(`${what} failed: ${e.message}`, "error");
    }
  }

  $("scale").addEventListener("click", () => {
    const vus = Number($("vus").value);
    if (!Number.isInteger(vus) || vus < 0) { say("VUs: a whole number, 0 or more", "error"); return; }
    patchStatus({ vus }, `scale to ${vus}`);
  });
  $("pause").addEventListener("click", () => patchStatus({ paused: true }, "pause"));
  $("resume").addEventListener("click", () => patchStatus({ paused: false }, "resume"));
  $("stop").addEventListener("click", () => patchStatus({ stopped: true }, "stop"));

  $("save").addEventListener("click", async () => {
    const res = await fetch("/v1/dashboard/report", { headers: auth() });
    if (!res.ok) { say(`report: ${await problem(res)}`, "error"); return; }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await res.blob());
    link.download = `${runId || "k6r-report"}.html`;
    link.click();
    URL.revokeObjectURL(link.href);
  });

  // ---- following the frames -----------------------------------------------

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function connection(state, text) {
    $("connection").dataset.state = state;
    $("connection").textContent = text;
  }

  async function loadHistory() {
    const res = await fetch("/v1/dashboard/history", { headers: auth(), cache: "no-store" });
    if (res.ok) showHistory(await res.json());
    return res;
  }

  // Server-sent events read with fetch(): EventSource cannot send the
  // Authorization header.
  async function follow() {
    for (;;) {
      try {
        const loaded = await loadHistory();
        const res = loaded.ok
          ? await fetch("/v1/dashboard/events", { headers: auth(), cache: "no-store" })
          : loaded;
        if (res.status === 401) {
          connection("auth", "token needed");
          say(await problem(res), "error");
          await askForToken();
          say("");
          continue;
        }
        if (!res.ok) throw new Error(await problem(res));
        connection("live", "live");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split("\n").filter((l) => l.startsWith("data: "))
              .map((l) => l.slice(6)).join("\n");
            if (data) onFrame(JSON.parse(data));
          }
        }
        connection("closed", "disconnected; retrying");
      } catch (e) {
        connection("closed", `disconnected (${e.message}); retrying`);
      }
      await sleep(2000);
    }
  }

  drawCharts();
  follow();
})();
