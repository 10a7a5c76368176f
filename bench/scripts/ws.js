// VUS VUs, each holding one k6/ws socket to the echo for DURATION seconds
// and sending the next message as soon as the last one's echo arrives
// (bench: WebSocket messages/s, k6/ws).
import ws from 'k6/ws';

const SECONDS = Number(__ENV.DURATION || 15);

export const options = {
  scenarios: {
    ws: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS || 20),
      iterations: 1,
      maxDuration: `${SECONDS + 30}s`,
    },
  },
};

export default function () {
  ws.connect(__ENV.TARGET, null, (socket) => {
    socket.on('open', () => socket.send('hello'));
    socket.on('message', (message) => socket.send(message));
    socket.setTimeout(() => socket.close(), SECONDS * 1000);
  });
}
