// VUS VUs in a tight loop of unary gRPC calls (k6r.demo.Demo/Echo), one
// connection per VU (bench: unary gRPC calls/s).
import grpc from 'k6/net/grpc';

const client = new grpc.Client();
client.load(['../../demo/proto'], 'demo.proto');

export const options = {
  vus: Number(__ENV.VUS || 50),
  duration: `${Number(__ENV.DURATION || 15)}s`,
};

export default function () {
  if (__ITER === 0) client.connect(__ENV.TARGET, { plaintext: true });
  client.invoke('k6r.demo.Demo/Echo', { message: 'hello' });
}
