// ramping-vus: 0 → 20 VUs over 10 s, hold 10 s, back to 0 over 5 s.
import http from 'k6/http';
import { sleep } from 'k6';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '10s', target: 20 },
        { duration: '10s', target: 20 },
        { duration: '5s', target: 0 },
      ],
      gracefulRampDown: '5s',
    },
  },
};

export default function () {
  http.get(`${BASE}/delay/50`);
  sleep(0.2);
}
