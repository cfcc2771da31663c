// The load process of bench/payments.ts: receives pre-signed transfer requests over IPC and sends them
// with autocannon over HTTPS keep-alive, each request body used once; answers with the measurements.
import autocannon from 'autocannon';

interface Job {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly requests: ReadonlyArray<{ path: string; headers: Record<string, string>; body: string }>;
}

process.once('message', (job: Job) => {
  let next = 0;
  const instance = autocannon({
    url: job.url, connections: job.connections, duration: job.seconds, pipelining: 1,
    tlsOptions: { rejectUnauthorized: false },
    requests: [{
      setupRequest: (request) => {
        const item = job.requests[next++ % job.requests.length];
        return item === undefined ? request : { ...request, method: 'POST', path: item.path, headers: item.headers, body: item.body };
      },
    }],
  } as autocannon.Options, (error, result) => {
    if (error !== null && error !== undefined) {
      process.send?.({ error: String(error) });
    } else {
      process.send?.({ total: result.requests.total, durationS: result.duration, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, errors: result.errors + result.timeouts, non2xx: result.non2xx });
    }
    process.disconnect();
  });
  void instance;
});
