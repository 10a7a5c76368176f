// The externally-controlled tutorial: starts with 0 VUs and waits to be
// scaled with `k6r-cli scale --vus 2 --max 10`, paused, resumed, stopped.
import http from 'k6/http';
import { sleep } from 'k6';

const BASE = __ENV.K6R_TARGET || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    k6_workshop: {
      executor: 'externally-controlled',
      duration: __ENV.DURATION || '5m',
      maxVUs: 10,
    },
  },
};

export default function () {
  console.log(`[VU: ${__VU}, iteration: ${__ITER}] Starting iteration...`);
  http.get(`${BASE}/`);
  sleep(Number(__ENV.SLEEP || 3));
}
