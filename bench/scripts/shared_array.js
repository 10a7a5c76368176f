// Many VUs reading a 10 MB JSON array through k6/data's SharedArray
// (bench: what the array costs per VU). SHARED=0 runs the same script
// without the array, as the baseline.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';

export const options = {
  vus: Number(__ENV.VUS || 5000),
  duration: __ENV.DURATION || '30s',
};

const shared = __ENV.SHARED !== '0';
const users = shared
  ? new SharedArray('users', () => JSON.parse(open(__ENV.DATA)))
  : [{ id: 0, name: 'nobody' }];

export default function () {
  const user = users[Math.floor(Math.random() * users.length)];
  const res = http.get(__ENV.TARGET);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'user has a name': () => typeof user.name === 'string',
  });
  sleep(1);
}
