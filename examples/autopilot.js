// The autopilot's worked example (README, "Autopilot"): the scenario
// whose rate `k6r-cli run --autopilot probe --slo ...` steers, from
// 50 iterations a second, to the highest rate at which every SLO holds.
import http from 'k6/http';

export const options = {
  scenarios: {
    probe: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: __ENV.DURATION || '70s',
      preAllocatedVUs: 20,
      maxVUs: 300,
    },
  },
};

export default function () {
  http.get(__ENV.TARGET || 'http://127.0.0.1:8080/');
}
