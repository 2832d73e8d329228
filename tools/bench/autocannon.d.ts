declare module 'autocannon' {
  interface Result {
    requests: { average: number; total: number };
    latency: { p99: number; p50: number };
    non2xx: number;
    errors: number;
  }
  function autocannon(opts: { url: string; connections: number; duration: number; pipelining?: number }): Promise<Result>;
  export default autocannon;
}
