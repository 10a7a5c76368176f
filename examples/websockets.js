// websockets: 10 VUs for 30 s against the demo target's WebSocket echo,
// with both of k6's WebSocket modules: each iteration holds one k6/ws
// socket (blocking) and then two k6/experimental/websockets sockets at
// once, sends a few messages on each and checks the echoes.
import ws from 'k6/ws';
import { WebSocket } from 'k6/experimental/websockets';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const BASE = (__ENV.K6R_TARGET || 'http://127.0.0.1:8080').replace(/^http/, 'ws');
const echoes = new Counter('echoes');

export const options = {
  scenarios: {
    sockets: { executor: 'constant-vus', vus: 10, duration: __ENV.DURATION || '30s' },
  },
  thresholds: { checks: ['rate==1'], ws_connecting: ['p(95)<500'] },
};

export default function () {
  const res = ws.connect(`${BASE}/ws/echo`, { tags: { module: 'k6/ws' } }, (socket) => {
    let n = 0;
    socket.on('open', () => socket.send(`hello ${n}`));
    socket.on('message', (message) => {
      check(message, { 'k6/ws echoes': (m) => m === `hello ${n}` });
      echoes.add(1);
      if (++n === 3) socket.close();
      else socket.send(`hello ${n}`);
    });
    socket.setTimeout(() => socket.close(), 5000);
  });
  check(res, { 'upgraded': (r) => r && r.status === 101 });

  for (let i = 0; i < 2; i++) {
    const socket = new WebSocket(`${BASE}/ws/echo`, null, { tags: { module: 'websockets' } });
    let n = 0;
    socket.onopen = () => socket.send(`socket ${i} says ${n}`);
    socket.onmessage = (event) => {
      check(event.data, { 'websockets echo': (d) => d === `socket ${i} says ${n}` });
      echoes.add(1);
      if (++n === 3) socket.close();
      else socket.send(`socket ${i} says ${n}`);
    };
    const stop = setTimeout(() => socket.close(), 5000);
    socket.onclose = () => clearTimeout(stop);
  }
}
