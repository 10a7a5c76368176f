// A fixed number of requests: ITERATIONS iterations shared by VUS VUs,
// one http.get each, bodies discarded (bench: instructions.py).
import http from 'k6/http';

export const options = {
  scenarios: {
    requests: {
      executor: 'shared-iterations',
      vus: Number(__ENV.VUS || 10),
      iterations: Number(__ENV.ITERATIONS || 2000),
      maxDuration: __ENV.MAX_DURATION || '10m',
    },
  },
  discardResponseBodies: true,
};

export default function () {
  http.get(__ENV.TARGET);
}
