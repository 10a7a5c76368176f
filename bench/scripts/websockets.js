// VUS VUs, each holding one k6/experimental/websockets socket to the echo
// for DURATION seconds and sending the next message as soon as the last
// one's echo arrives (bench: WebSocket messages/s, the browser-style API).
import { WebSocket } from 'k6/experimental/websockets';

const SECONDS = Number(__ENV.DURATION || 15);

export const options = {
  scenarios: {
    websockets: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS || 20),
      iterations: 1,
      maxDuration: `${SECONDS + 30}s`,
    },
  },
};

export default function () {
  const socket = new WebSocket(__ENV.TARGET);
  socket.onopen = () => {
    socket.send('hello');
    setTimeout(() => socket.close(), SECONDS * 1000);
  };
  socket.onmessage = (event) => socket.send(event.data);
}
