// A k6 script that needs no network: two scenarios, checks, groups,
// a custom metric and a threshold. Run it with
//   cargo run --release -p k6r-cli -- run examples/quickstart.js
import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { Trend, Counter } from 'k6/metrics';

const work = new Trend('work_ms', true);
const items = new Counter('items');

export const options = {
  scenarios: {
    batch: { executor: 'shared-iterations', vus: 4, iterations: 40 },
    steady: { executor: 'constant-vus', vus: 2, duration: '2s', startTime: '500ms' },
  },
  thresholds: {
    checks: ['rate==1'],
    work_ms: ['p(95)<1000'],
  },
};

export function setup() {
  return { started: Date.now() };
}

export default function (data) {
  group('compute', () => {
    const t0 = Date.now();
    let x = 0;
    for (let i = 0; i < 20000; i++) x += Math.sqrt(i);
    work.add(Date.now() - t0);
    items.add(1, { scenario_name: exec.scenario.name });
    check(x, { 'sum is positive': (v) => v > 0 });
  });
  check(data, { 'setup data arrived': (d) => d.started > 0 });
  sleep(0.1);
}
