// The abnormal-API-use signal: a sliding window of error responses (status ≥ 400), counted in
// one-second buckets. When the count in the window reaches the limit, the caller raises one
// `api_error_rate` event; the monitor then stays quiet for a window so a storm is one alert.
const bucketMs = 1000;

export class ErrorRateMonitor {
  readonly #windowMs: number;
  readonly #errorsMax: number;
  readonly #buckets = new Map<number, number>();
  #quietUntil = 0;

  constructor(options: { windowMs: number; errorsMax: number }) {
    this.#windowMs = options.windowMs;
    this.#errorsMax = options.errorsMax;
  }

  /** Records a response; returns the error count when it crosses the limit (once per window), else undefined. */
  record(status: number, now: number): number | undefined {
    if (status < 400) return undefined;
    const bucket = Math.floor(now / bucketMs);
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1);
    const oldest = Math.floor((now - this.#windowMs) / bucketMs);
    let errors = 0;
    for (const [key, count] of this.#buckets) {
      if (key <= oldest) this.#buckets.delete(key);
      else errors += count;
    }
    if (errors < this.#errorsMax || now < this.#quietUntil) return undefined;
    this.#quietUntil = now + this.#windowMs;
    return errors;
  }
}
