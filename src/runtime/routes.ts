/**
 * The runtime's view of a plan and the tensor routing it implies (pure). Stages are contiguous node
 * ranges; a tensor produced by stage i and read by stage j > i + 1 (a skip connection) passes
 * through the stages in between, so every hop carries exactly the tensors live at that cut.
 */
import { EdgesplitError } from '../core/errors.js';
import type { PlanTopology } from '../core/plan-file.js';
import type { DType } from '../core/tensor.js';
import type { WireEncoding } from '../transport/codec/frame.js';
import { stageDag, type Endpoint } from '../plan/dag.js';

/** One tensor at a stage boundary. */
export interface RuntimeTensor {
  readonly name: string;
  readonly dtype: DType;
  /** Dims; symbolic ones (batch) as strings. */
  readonly shape: readonly (number | string)[];
  /** How the tensor travels when this stage sends it. */
  readonly wire: WireEncoding;
}

/** One physical device running a replica of a stage. */
export interface RuntimeDevice {
  /** Unique name (the key of a hosts file). */
  readonly name: string;
  /** Catalog device id, when the plan names one. */
  readonly type?: string;
}

/** One pipeline stage as the runtime needs it. */
export interface RuntimeStage {
  readonly id: string;
  /** Absolute path of the stage's ONNX file. */
  readonly modelPath: string;
  readonly inputs: readonly RuntimeTensor[];
  readonly outputs: readonly RuntimeTensor[];
  /** Replicas: one entry per device. */
  readonly devices: readonly RuntimeDevice[];
  /** Planner's predictions, seconds per sample. */
  readonly predictedComputeS?: number;
  readonly predictedSendS?: number;
  /** MACs and other operations per sample (for modelled energy and device pacing). */
  readonly macs?: number;
  readonly ops?: number;
  /** Planner's predicted time to receive the stage's inputs, seconds per sample. */
  readonly predictedRecvS?: number;
  /** Planner's predicted compute + send energy of one sample on the stage, J. */
  readonly predictedEnergyJ?: number;
}

/** A plan as the runtime consumes it (see `plan-dir.ts` for reading one). */
export interface RuntimePlan {
  readonly dir: string;
  readonly stages: readonly RuntimeStage[];
  readonly graphInputs: readonly RuntimeTensor[];
  readonly graphOutputs: readonly string[];
  readonly predictedThroughputPerS?: number;
  /** Planner's predicted latency of one sample, seconds. */
  readonly predictedLatencyS?: number;
  /** Catalog link id the plan was made for. */
  readonly link?: string;
  /** `dag`: tensors go from their producer straight to their readers (plan.json v2); default `chain`. */
  readonly topology?: PlanTopology;
}

/** What one stage receives, runs and sends. */
export interface StageRoute {
  /** Tensors arriving per sample (live at the cut before the stage). */
  readonly expects: readonly string[];
  /** Tensors fed to the stage model. */
  readonly modelInputs: readonly string[];
  /** Tensors sent on (live at the cut after the stage; graph outputs for the last stage). */
  readonly sends: readonly { readonly name: string; readonly wire: WireEncoding }[];
  /** DAG plans: the sends grouped by downstream stage (or the coordinator); absent for chains. */
  readonly fanout?: readonly StageFanout[];
  /** DAG plans: the graph inputs the coordinator sends this stage (absent: only stage 0 gets them). */
  readonly fromCoordinator?: readonly string[];
}

/** The tensors a stage sends to one downstream stage (every replica of it is a candidate) or back. */
export interface StageFanout {
  readonly to: Endpoint;
  readonly sends: readonly { readonly name: string; readonly wire: WireEncoding }[];
}

function planError(plan: RuntimePlan, msg: string): EdgesplitError {
  return new EdgesplitError('E_PLAN', `${plan.dir}: ${msg}`);
}

/**
 * Computes each stage's route. Throws E_PLAN naming the tensor and stage when a stage reads a
 * tensor no earlier stage produces, or a graph output is never produced.
 */
export function stageRoutes(plan: RuntimePlan): StageRoute[] {
  const s = plan.stages.length;
  if (s === 0) throw planError(plan, 'plan has no stages');
  if (plan.topology === 'dag') return dagRoutes(plan);
  const wireOf = new Map<string, WireEncoding>();
  for (const t of plan.graphInputs) wireOf.set(t.name, t.wire);
  const available: Set<string>[] = [new Set(plan.graphInputs.map((t) => t.name))];
  plan.stages.forEach((st, k) => {
    const next = new Set(available[k]);
    for (const o of st.outputs) {
      next.add(o.name);
      wireOf.set(o.name, o.wire);
    }
    available.push(next);
  });
  const needFrom: Set<string>[] = Array.from({ length: s + 1 }, () => new Set<string>());
  for (const o of plan.graphOutputs) needFrom[s].add(o);
  for (let k = s - 1; k >= 0; k--) {
    needFrom[k] = new Set(needFrom[k + 1]);
    for (const i of plan.stages[k].inputs) needFrom[k].add(i.name);
  }
  for (const o of plan.graphOutputs)
    if (!available[s].has(o)) throw planError(plan, `graph output '${o}' is produced by no stage`);
  const live = (k: number) => [...needFrom[k]].filter((t) => available[k].has(t));
  return plan.stages.map((st, k) => {
    for (const i of st.inputs) {
      if (!available[k].has(i.name))
        throw planError(
          plan,
          `stage ${st.id} reads '${i.name}', which no earlier stage or graph input provides`,
        );
    }
    return {
      expects: live(k),
      modelInputs: st.inputs.map((i) => i.name),
      sends: live(k + 1).map((name) => ({ name, wire: wireOf.get(name) ?? 'fp32' })),
    };
  });
}

/** Stages the coordinator sends graph inputs to: every stage reading one (DAG), else stage 0. */
export function entryStages(routes: readonly StageRoute[]): number[] {
  const dag = routes.filter((r) => r.fromCoordinator !== undefined);
  if (dag.length === 0) return [0];
  return routes.flatMap((r, k) => ((r.fromCoordinator?.length ?? 0) > 0 ? [k] : []));
}

function dagRoutes(plan: RuntimePlan): StageRoute[] {
  const dag = stageDag(
    plan.stages.map((st) => ({
      id: st.id,
      inputs: st.inputs.map((t) => t.name),
      outputs: st.outputs.map((t) => t.name),
    })),
    plan.graphInputs.map((t) => t.name),
    plan.graphOutputs,
    plan.dir,
  );
  const wireOf = new Map<string, WireEncoding>();
  for (const t of plan.graphInputs) wireOf.set(t.name, t.wire);
  for (const st of plan.stages) for (const o of st.outputs) wireOf.set(o.name, o.wire);
  const wired = (names: readonly string[]) =>
    names.map((name) => ({ name, wire: wireOf.get(name) ?? 'fp32' }));
  return plan.stages.map((st, k) => {
    const out = dag.edges.filter((e) => e.from === k);
    if (out.length === 0)
      throw planError(plan, `stage ${st.id} sends nothing: no stage and no graph output reads its outputs`);
    const fanout = out.map((e) => ({ to: e.to, sends: wired(e.tensors) }));
    const sends = wired([...new Set(out.flatMap((e) => e.tensors))]);
    return {
      expects: st.inputs.map((t) => t.name),
      modelInputs: st.inputs.map((t) => t.name),
      sends,
      fanout,
      fromCoordinator: dag.edges.find((e) => e.from === 'coordinator' && e.to === k)?.tensors ?? [],
    };
  });
}
