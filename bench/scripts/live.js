// Issue 5's live-control figures (bench/live.py): an externally-controlled
// scenario with 0 of MAX VUs. Every VU counts its first iteration in
// `first_iterations`, and records in `gap` how much later than planned each
// of its iterations starts (a stall shows as a large max).
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';

const first = new Counter('first_iterations');
const gap = new Trend('gap', true);
const PAUSE = 0.01;

export const options = {
  scenarios: {
    live: {
      executor: 'externally-controlled',
      vus: 0,
      maxVUs: Number(__ENV.MAX || 1000),
      duration: '10m',
    },
  },
};

let last = 0;

export default function () {
  const now = Date.now();
  if (exec.vu.iterationInScenario === 0) {
    first.add(1);
  } else {
    gap.add(Math.max(0, now - last - PAUSE * 1000));
  }
  last = now;
  sleep(PAUSE);
}
