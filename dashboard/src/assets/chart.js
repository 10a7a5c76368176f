// k6r's dashboard charts: small SVG line charts, and the number and
// duration formats the page shares, as one global, `k6rChart`, for
// app.js (loaded after it).
"use strict";

const k6rChart = (() => {
  // ---- formatting ---------------------------------------------------------

  function num(v, percent) {
    if (v === null || v === undefined) return "–";
    if (percent) return (v * 100).toFixed(1) + "%";
    if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en");
    return (Math.round(v * 100) / 100).toString();
  }

  function duration(ms) {
    const s = Math.floor(ms / 1000);
    const m = Math.floor(s / 60);
    return m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${(ms / 1000).toFixed(1)}s`;
  }

  // ---- charts -------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  const W = 600, H = 200, LEFT = 48, BOTTOM = 18, TOP = 6;

  function svg(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  // A round upper bound for the y axis.
  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v);
  }

  // A chart in the <figure> whose id is spec.id: spec.title, spec.series
  // ({key, label} of each line, with value(point) where the value is not
  // point[key]; or a function of the points giving them, for lines that
  // come and go), spec.max (else a round bound), spec.percent.
  class Chart {
    constructor(spec) {
      this.spec = spec;
      this.figure = document.getElementById(spec.id);
      const caption = document.createElement("figcaption");
      caption.textContent = spec.title;
      this.legend = document.createElement("span");
      this.legend.className = "legend";
      caption.append(this.legend);
      this.svg = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": spec.title });
      this.figure.replaceChildren(caption, this.svg);
    }

    draw(points) {
      const { spec } = this;
      const series = typeof spec.series === "function" ? spec.series(points) : spec.series;
      const value = (s, p) => (s.value ? s.value(p) : p[s.key]);
      this.figure.dataset.points = String(points.length);
      this.figure.dataset.series = String(series.length);
      // Lines that come and go (by agent on one machine: none) hide an
      // empty chart.
      this.figure.hidden = typeof spec.series === "function" && series.length === 0;
      const xs = points.map((p) => p.elapsed_ms / 1000);
      const x0 = xs.length ? xs[0] : 0;
      const x1 = Math.max(xs.length ? xs[xs.length - 1] : 0, x0 + 1);
      let top = spec.max;
      if (top === undefined) {
        const values = points.flatMap((p) => series.map((s) => value(s, p) ?? 0));
        top = niceCeil(Math.max(0, ...values));
      }
      const x = (t) => LEFT + ((t - x0) / (x1 - x0)) * (W - LEFT - 4);
      const y = (v) => TOP + (1 - v / top) * (H - TOP - BOTTOM);

      const nodes = [];
      for (let i = 0; i <= 4; i++) {
        const v = (top * i) / 4;
        nodes.push(svg("line", { class: "grid", x1: LEFT, x2: W, y1: y(v), y2: y(v) }));
        const label = svg("text", { class: "label", x: LEFT - 4, y: y(v) + 4, "text-anchor": "end" });
        label.textContent = num(v, spec.percent);
        nodes.push(label);
      }
      for (const [t, anchor] of [[x0, "start"], [x1, "end"]]) {
        const label = svg("text", { class: "label", x: x(t), y: H - 4, "text-anchor": anchor });
        label.textContent = duration(t * 1000);
        nodes.push(label);
      }
      series.forEach((s, i) => {
        // A missing value (no request in that second) breaks the line.
        let d = "", pen = "M";
        points.forEach((p, j) => {
          const v = value(s, p);
          if (v === null || v === undefined) { pen = "M"; return; }
          d += `${pen}${x(xs[j]).toFixed(1)},${y(v).toFixed(1)}`;
          pen = "L";
        });
        nodes.push(svg("path", { class: `s${i % 4}`, d, "data-series": s.key }));
      });
      this.svg.replaceChildren(...nodes);

      const last = points[points.length - 1] || {};
      this.legend.replaceChildren(...series.map((s, i) => {
        const item = document.createElement("span");
        item.className = `s${i % 4}`;
        item.textContent = `${s.label} ${num(value(s, last), spec.percent)}`;
        return item;
      }));
    }
  }

  return { Chart, num, duration };
})();
