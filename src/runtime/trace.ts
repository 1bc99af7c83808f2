/**
 * Chrome / Perfetto trace JSON from a run's timelines (pure): one process per node (pid 1 is the
 * coordinator), threads for receive, inference and send, complete events ("ph": "X") in
 * microseconds since the first input was sent.
 */
import type { RuntimePlan } from './routes.js';
import type { RunRecords } from './summary.js';

/** One trace event (Trace Event Format). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly args?: Record<string, string | number>;
}

/** A trace document as Chrome's about://tracing and ui.perfetto.dev load it. */
export interface TraceDocument {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: 'ms';
}

/** Thread ids inside each node's process. */
export const TRACE_THREADS = { receive: 1, inference: 2, send: 3 } as const;

/** Builds the trace; `stageOf` names the stage of each device for process labels. */
export function buildTrace(r: RunRecords, stageOf: ReadonlyMap<string, string>): TraceDocument {
  const t0 = r.startMs;
  const us = (ms: number) => Math.round((ms - t0) * 1000);
  const dur = (a: number, b: number) => Math.max(0, Math.round((b - a) * 1000));
  const pids = new Map<string, number>([['coordinator', 1]]);
  const pidOf = (device: string) => {
    if (!pids.has(device)) pids.set(device, pids.size + 1);
    return pids.get(device)!;
  };
  const events: TraceEvent[] = [];
  for (const s of r.sends) {
    events.push({
      name: `send seq ${s.seq}`,
      cat: 'send',
      ph: 'X',
      pid: 1,
      tid: TRACE_THREADS.send,
      ts: us(s.sendStart),
      dur: dur(s.sendStart, s.sendEnd),
      args: { seq: s.seq, epoch: s.epoch, bytes: s.bytes, to: s.target },
    });
  }
  for (const a of r.arrivals) {
    events.push({
      name: `result seq ${a.seq}`,
      cat: 'receive',
      ph: 'X',
      pid: 1,
      tid: TRACE_THREADS.receive,
      ts: us(a.ms),
      dur: 0,
      args: { seq: a.seq, epoch: a.epoch, from: a.from },
    });
  }
  for (const x of r.nodes) {
    const pid = pidOf(x.device);
    const args = { seq: x.seq, epoch: x.epoch };
    events.push({
      name: `queue seq ${x.seq}`,
      cat: 'receive',
      ph: 'X',
      pid,
      tid: TRACE_THREADS.receive,
      ts: us(x.received),
      dur: dur(x.received, x.inferStart),
      args,
    });
    events.push({
      name: `infer seq ${x.seq}`,
      cat: 'inference',
      ph: 'X',
      pid,
      tid: TRACE_THREADS.inference,
      ts: us(x.inferStart),
      dur: dur(x.inferStart, x.inferEnd),
      args,
    });
    events.push({
      name: `send seq ${x.seq}`,
      cat: 'send',
      ph: 'X',
      pid,
      tid: TRACE_THREADS.send,
      ts: us(x.sendStart),
      dur: dur(x.sendStart, x.sendEnd),
      args: { ...args, bytes: x.bytes, to: x.target || 'dropped' },
    });
  }
  for (const [device, pid] of pids) {
    const label =
      device === 'coordinator' ? 'coordinator' : `${device} (stage ${stageOf.get(device) ?? '?'})`;
    events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: label } });
    for (const [name, tid] of Object.entries(TRACE_THREADS))
      events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name } });
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}

/** The trace of a run of `plan`, with each device's events labelled by its stage. */
export function planTrace(plan: RuntimePlan, r: RunRecords): TraceDocument {
  const stageOf = new Map(plan.stages.flatMap((s) => s.devices.map((d) => [d.name, s.id] as const)));
  return buildTrace(r, stageOf);
}
