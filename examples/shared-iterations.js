// shared-iterations: 10 VUs share 3,000 iterations; split over agents by segment.
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    shared: { executor: 'shared-iterations', vus: 10, iterations: Number(__ENV.ITERATIONS || 3000), maxDuration: '2m' },
  },
  thresholds: { checks: ['rate>0.99'] },
};

export default function () {
  const res = http.get(`${BASE}/json`);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
