/**
 * The part of autocannon 8's programmatic API the benchmark uses (the package
 * ships no types). See node_modules/autocannon/README.md, "API".
 */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    total: number;
  }

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connections?: number;
    /** Seconds. */
    duration?: number;
    timeout?: number;
    /** Called with each response body; a falsy answer counts as a mismatch. */
    verifyBody?: (body: string) => boolean;
    /** Requests each connection sends in turn (instead of one method/body). */
    requests?: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }[];
  }

  interface Result {
    latency: Histogram;
    requests: Histogram;
    throughput: Histogram;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    '2xx': number;
    '4xx': number;
    '5xx': number;
    /** Responses by HTTP status code. */
    statusCodeStats?: Record<string, { count: number }>;
  }

  interface Instance extends PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export = autocannon;
}
