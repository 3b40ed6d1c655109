import autocannon from 'autocannon';

export interface Figures {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs autocannon and returns req/s and latency percentiles (ms). */
export async function measure(name: string, options: autocannon.Options): Promise<Figures> {
  // The load generator runs in a worker thread so the server under test keeps the main thread.
  const result = await autocannon({ connections: 50, duration: Number(process.env.BENCH_SECONDS ?? 8), workers: 1, ...options });
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function printTable(title: string, rows: Figures[], baseline?: Figures): void {
  console.log(`\n${title}`);
  console.log('target'.padEnd(34), 'req/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'errors'.padStart(7), 'non-2xx'.padStart(8), baseline ? 'vs bare'.padStart(8) : '');
  for (const row of rows) {
    const ratio = baseline ? `${((row.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(0)}%` : '';
    console.log(
      row.name.padEnd(34),
      String(row.requestsPerSecond).padStart(9),
      String(row.p50).padStart(8),
      String(row.p99).padStart(8),
      String(row.errors).padStart(7),
      String(row.non2xx).padStart(8),
      ratio.padStart(8),
    );
  }
}
