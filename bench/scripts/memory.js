// Many VUs doing http.get + check + sleep(1) (bench: memory per VU).
import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  vus: Number(__ENV.VUS || 5000),
  duration: __ENV.DURATION || '30s',
};

export default function () {
  const res = http.get(__ENV.TARGET);
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(1);
}
