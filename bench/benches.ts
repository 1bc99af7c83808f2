/**
 * The benchmarks `npm run bench` runs (`bench/index.ts`), with what each measures; the other files in
 * bench/ are their parts. A module of its own, without side effects, so a test can check the names.
 */
export const BENCHES = {
  pipeline:
    'loopback pipeline: runtime CPU per sample per hop, pipelined / whole model, measured / bound (issue 11)',
  twin: '--emulate devices against the plan: measured / predicted throughput, latency, communication share',
  'steady-run':
    'one long loopback run (STEADY_CASE, STEADY_BATCH, STEADY_SAMPLES): steady CPU per sample of every process',
  transport: 'one TCP connection: CPU per frame and per KiB, keyed and keyless, four traffic shapes',
  goodput: 'emulated BLE: credit / buffer-aware delivery against the TinyML seed window-N acknowledgements',
  plan: 'the planner on a 1,000-node residual graph over 8 devices, each objective against the 1 s target',
  soak: '100,000 samples through 5 local node processes: the memory growth of each (< 10%)',
  serve: 'edgesplit serve: dynamic batching against none, same model and load',
  'serve-stall': 'edgesplit serve: health-probe latency while it parses large or hostile bodies',
} as const satisfies Record<string, string>;
