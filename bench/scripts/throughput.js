// 50 VUs in a tight http.get loop, bodies discarded (bench: throughput).
import http from 'k6/http';

export const options = {
  vus: 50,
  duration: __ENV.DURATION || '15s',
  discardResponseBodies: true,
};

export default function () {
  http.get(__ENV.TARGET);
}
