// constant-arrival-rate: 200 iterations per second for 30 s, whatever the latency.
import http from 'k6/http';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    rate: {
      executor: 'constant-arrival-rate',
      rate: 200,
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 20,
      maxVUs: 100,
    },
  },
  thresholds: { dropped_iterations: ['count<10'] },
};

export default function () {
  http.get(`${BASE}/delay/20`);
}
