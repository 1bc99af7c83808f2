/**
 * The stage graph of a plan (pure): which stage produces each tensor and which stages (or the
 * coordinator) read it. Chains are the special case where every stage feeds the next; a DAG plan
 * (`topology: "dag"`) routes each tensor from its producer to exactly its readers, so branches run
 * in parallel and a gather stage waits for all of its inputs.
 */
import { EdgesplitError } from '../core/errors.js';

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
