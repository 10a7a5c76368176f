// constant-arrival-rate 2,000 iterations/s (bench: arrival rate).
import http from 'k6/http';

export const options = {
  discardResponseBodies: true,
  scenarios: {
    car: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 2000),
      timeUnit: '1s',
      duration: __ENV.DURATION || '20s',
      preAllocatedVUs: 100,
      maxVUs: 1000,
    },
  },
};

export default function () {
  http.get(__ENV.TARGET);
}
