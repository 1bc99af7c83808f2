import type { Graph } from './types.js';

/** When a non-static tensor exists: produced before node `from` (-1: a graph input), needed up to node `lastUse` (n: a graph output). */
export interface Lifetime {
  readonly name: string;
  readonly from: number;
  readonly lastUse: number;
}

/** Lifetimes of every activation (non-static tensor) in topological order. */
export function lifetimes(graph: Graph): Lifetime[] {
  const n = graph.nodes.length;
  const outputs = new Set(graph.outputs);
  const result: Lifetime[] = [];
  const add = (name: string, from: number) => {
    if (graph.staticTensors.has(name)) return;
    const users = graph.consumers.get(name) ?? [];
    const lastUse = outputs.has(name) ? n : users.length ? Math.max(...users) : from;
    result.push({ name, from, lastUse });
  };
  for (const i of graph.inputs) add(i, -1);
  for (const node of graph.nodes) for (const o of node.outputs) if (o) add(o, node.index);
  return result;
}

/**
 * Tensors live across every cut: cut k (0..n) separates nodes [0,k) from [k,n). A tensor is live at
 * cut k when it is produced before k (or is a graph input) and used at or after k (or is a graph output).
 * With skip connections a cut carries several tensors.
 */
export function liveSets(graph: Graph): string[][] {
  const n = graph.nodes.length;
  const sets: string[][] = Array.from({ length: n + 1 }, () => []);
  for (const t of lifetimes(graph)) {
    for (let k = t.from + 1; k <= Math.min(t.lastUse, n); k++) sets[k].push(t.name);
  }
  return sets;
}

/** Tensors entering the node range [start, end): produced before `start` (or graph inputs) and read inside. */
export function rangeInputs(graph: Graph, start: number, end: number): string[] {
  const seen = new Set<string>();
  for (let k = start; k < end; k++) {
    for (const i of graph.nodes[k].inputs) {
      if (!i || graph.staticTensors.has(i) || seen.has(i)) continue;
      const p = graph.producer.get(i);
      if (p === undefined || p < start) seen.add(i);
    }
  }
  return [...seen];
}

/** Tensors leaving the node range [start, end): produced inside and read after `end` or graph outputs. */
export function rangeOutputs(graph: Graph, start: number, end: number): string[] {
  const outputs = new Set(graph.outputs);
  const result: string[] = [];
  for (let k = start; k < end; k++) {
    for (const o of graph.nodes[k].outputs) {
      if (!o || graph.staticTensors.has(o)) continue;
      const users = graph.consumers.get(o) ?? [];
      if (outputs.has(o) || users.some((u) => u >= end)) result.push(o);
    }
  }
  return result;
}
