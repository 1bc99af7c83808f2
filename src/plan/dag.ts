/**
 * The stage graph of a plan (pure): which stage produces each tensor and which stages (or the
 * coordinator) read it. Chains are the special case where every stage feeds the next; a DAG plan
 * (`topology: "dag"`) routes each tensor from its producer to exactly its readers, so branches run
 * in parallel and a gather stage waits for all of its inputs.
 */
import { EdgesplitError } from '../core/errors.js';
import type { PlanFile } from '../core/plan-file.js';

/** Where a tensor comes from or goes to: a stage index, or the coordinator. */
export type Endpoint = number | 'coordinator';

/** A stage as the DAG check sees it: the names of the tensors it reads and writes. */
export interface DagStage {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** One edge group: the tensors a stage (or the coordinator) sends to one downstream stage or back. */
export interface DagEdge {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly tensors: readonly string[];
}

/** A checked stage graph. */
export interface StageDag {
  /** Stage indices in a topological order. */
  readonly order: readonly number[];
  /** Every edge, grouped by (from, to), tensors in the reader's input order. */
  readonly edges: readonly DagEdge[];
  /** Producer of each tensor (graph inputs: the coordinator). */
  readonly producer: ReadonlyMap<string, Endpoint>;
}

/**
 * Builds and checks the stage graph. Throws `E_PLAN` (prefixed with `where`) naming the tensor and
 * stage for a dangling tensor (read but produced by no stage and not a graph input), a tensor produced
 * twice, a graph output nobody produces, and naming the stages of a cycle.
 */
export function stageDag(
  stages: readonly DagStage[],
  graphInputs: readonly string[],
  graphOutputs: readonly string[],
  where: string,
): StageDag {
  const fail = (msg: string): never => {
    throw new EdgesplitError('E_PLAN', `${where}: ${msg}`);
  };
  const producer = new Map<string, Endpoint>(graphInputs.map((t) => [t, 'coordinator' as const]));
  stages.forEach((s, k) => {
    for (const o of s.outputs) {
      const p = producer.get(o);
      if (p !== undefined)
        fail(
          `tensor '${o}' is produced by both ${p === 'coordinator' ? 'the graph inputs' : `stage ${stages[p].id}`} and stage ${s.id}`,
        );
      producer.set(o, k);
    }
  });
  const groups = new Map<string, { from: Endpoint; to: Endpoint; tensors: string[] }>();
  const add = (from: Endpoint, to: Endpoint, t: string) => {
    const key = `${from}>${to}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { from, to, tensors: [] }));
    if (!g.tensors.includes(t)) g.tensors.push(t);
  };
  stages.forEach((s, k) => {
    for (const i of s.inputs) {
      const p = producer.get(i);
      if (p === undefined)
        fail(`dangling tensor '${i}': stage ${s.id} reads it but no stage or graph input provides it`);
      if (p === k) fail(`stage ${s.id} reads its own output '${i}'`);
      add(p!, k, i);
    }
  });
  for (const o of graphOutputs) {
    const p = producer.get(o);
    if (p === undefined) fail(`dangling tensor '${o}': graph output produced by no stage`);
    add(p!, 'coordinator', o);
  }
  const next = stages.map(() => new Set<number>());
  for (const g of groups.values())
    if (typeof g.from === 'number' && typeof g.to === 'number') next[g.from].add(g.to);
  const state = stages.map(() => 0);
  const order: number[] = [];
  const stack: number[] = [];
  const visit = (k: number): void => {
    if (state[k] === 2) return;
    if (state[k] === 1) {
      const cycle = [...stack.slice(stack.indexOf(k)), k].map((i) => stages[i].id);
      fail(`stages form a cycle: ${cycle.join(' -> ')}`);
    }
    state[k] = 1;
    stack.push(k);
    for (const n of next[k]) visit(n);
    stack.pop();
    state[k] = 2;
    order.push(k);
  };
  stages.forEach((_, k) => visit(k));
  return { order: order.reverse(), edges: [...groups.values()], producer };
}

/**
 * Checks a validated plan's stage graph (pure) and returns it: stage ids and device names are
 * unique (a device runs one replica of one stage); the tensors form a DAG ({@link stageDag}); in a
 * chain every stage reads only what earlier stages or the graph inputs produce, and planner node
 * ranges, where given, are contiguous. Throws `E_PLAN` prefixed with `file`.
 */
export function checkPlan(plan: PlanFile, file: string): StageDag {
  const fail = (msg: string): never => {
    throw new EdgesplitError('E_PLAN', `${file}: ${msg}`);
  };
  const ids = new Map<string, number>();
  const devices = new Map<string, string>();
  plan.stages.forEach((s, k) => {
    const dup = ids.get(s.id);
    if (dup !== undefined) fail(`stages[${k}].id: '${s.id}' is also the id of stages[${dup}]`);
    ids.set(s.id, k);
    for (const d of s.devices) {
      const other = devices.get(d.name);
      if (other !== undefined)
        fail(
          `stages[${k}].devices: device '${d.name}' also runs stage ${other}; a device runs one replica of one stage`,
        );
      devices.set(d.name, s.id);
    }
  });
  const dag = stageDag(
    plan.stages.map((s) => ({
      id: s.id,
      inputs: s.inputs.map((t) => t.name),
      outputs: s.outputs.map((t) => t.name),
    })),
    plan.inputs.map((t) => t.name),
    plan.outputs.map((t) => t.name),
    file,
  );
  if (plan.topology === 'chain') {
    plan.stages.forEach((s, k) => {
      for (const t of s.inputs) {
        const p = dag.producer.get(t.name);
        if (typeof p === 'number' && p > k)
          fail(
            `stage ${s.id} reads '${t.name}', which no earlier stage or graph input provides (a chain runs stages in order)`,
          );
      }
      const prev = plan.stages[k - 1];
      if (k > 0 && s.start !== undefined && prev.end !== undefined && s.start !== prev.end)
        fail(`stages[${k}].start ${s.start} does not continue stages[${k - 1}].end ${prev.end}`);
    });
  }
  return dag;
}
