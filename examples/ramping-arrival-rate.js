// ramping-arrival-rate: from 10 to 300 iterations per second and back down.
import http from 'k6/http';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    wave: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: 200,
      stages: [
        { duration: '10s', target: 300 },
        { duration: '10s', target: 300 },
        { duration: '10s', target: 10 },
      ],
    },
  },
};

export default function () {
  http.get(`${BASE}/json`);
}
