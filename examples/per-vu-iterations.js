// per-vu-iterations: each of 6 VUs runs 50 iterations.
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    each: { executor: 'per-vu-iterations', vus: 6, iterations: 50, maxDuration: '1m' },
  },
};

export default function () {
  check(http.get(`${BASE}/`), { 'status is 200': (r) => r.status === 200 });
}
