// 50 VUs in a tight http.get loop over HTTPS; nginx answers with HTTP/2
// (bench: https). The certificate is a throwaway one: verification is
// skipped in both tools.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  vus: 50,
  duration: __ENV.DURATION || '15s',
  insecureSkipTLSVerify: true,
};

export default function () {
  const res = http.get(__ENV.TARGET);
  check(res, { 'HTTP/2 over TLS': (r) => r.proto === 'HTTP/2.0' && r.tls_version !== '' });
}
