// constant-vus: 20 VUs loop for 30 s, each pausing 100 ms per iteration.
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    steady: { executor: 'constant-vus', vus: 20, duration: __ENV.DURATION || '30s' },
  },
  thresholds: { http_req_duration: ['p(95)<500'] },
};

export default function () {
  check(http.get(`${BASE}/json`), { 'status is 200': (r) => r.status === 200 });
  sleep(0.1);
}
