// VUS VUs, each holding one open k6/ws socket to the echo for DURATION
// seconds and sending one message a second on it (bench: memory per VU
// with an open WebSocket).
import ws from 'k6/ws';

const SECONDS = Number(__ENV.DURATION || 20);

export const options = {
  scenarios: {
    sockets: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS || 5000),
      iterations: 1,
      maxDuration: `${SECONDS + 60}s`,
    },
  },
};

export default function () {
  ws.connect(__ENV.TARGET, null, (socket) => {
    socket.on('open', () => socket.setInterval(() => socket.send('tick'), 1000));
    socket.setTimeout(() => socket.close(), SECONDS * 1000);
  });
}
