// A test with three scenarios: a ramp, a constant arrival rate that starts
// later, and a scenario driven from outside. Inspect it with
//   k6r-cli inspect --execution-requirements examples/scenarios.js
import { sleep } from 'k6';

export const options = {
  scenarios: {
    browse: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '30s', target: 20 },
        { duration: '1m', target: 20 },
        { duration: '30s', target: 0 },
      ],
      gracefulRampDown: '10s',
    },
    checkout: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '1m',
      preAllocatedVUs: 10,
      maxVUs: 40,
      startTime: '30s',
      exec: 'checkout',
    },
    operator: {
      executor: 'externally-controlled',
      vus: 0,
      maxVUs: parseInt(__ENV.OPERATOR_MAX_VUS || '10'),
      duration: '2m',
    },
  },
};

export default function () {
  sleep(1);
}

export function checkout() {
  sleep(0.5);
}
