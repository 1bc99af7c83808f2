/**
 * The runtime's view of a plan directory: {@link toRuntimePlan} turns a plan read by `readPlan`
 * (`src/plan/plan-dir.ts`, the one plan.json reader and schema) into a {@link RuntimePlan}.
 */
import { readPlan, type LoadedPlan } from '../plan/plan-dir.js';
import type { TensorSpec } from '../core/plan-file.js';
import { stageRoutes, type RuntimePlan, type RuntimeTensor } from './routes.js';

const tensor = (t: TensorSpec): RuntimeTensor => ({
  name: t.name,
  dtype: t.dtype,
  shape: t.shape,
  wire: t.wire,
});

/** Converts a read plan into a RuntimePlan (pure) and checks its routes. */
export function toRuntimePlan(loaded: LoadedPlan): RuntimePlan {
  const { plan } = loaded;
  const p = plan.predicted;
  const runtime: RuntimePlan = {
    dir: loaded.dir,
    stages: plan.stages.map((s, k) => ({
      id: s.id,
      modelPath: loaded.stageModels[k],
      inputs: s.inputs.map(tensor),
      outputs: s.outputs.map(tensor),
      devices: s.devices.map((d) => ({ ...d })),
      ...(s.computeS !== undefined ? { predictedComputeS: s.computeS } : {}),
      ...(s.sendS !== undefined ? { predictedSendS: s.sendS } : {}),
      ...(s.recvS !== undefined ? { predictedRecvS: s.recvS } : {}),
      ...(s.macs !== undefined ? { macs: s.macs } : {}),
      ...(s.ops !== undefined ? { ops: s.ops } : {}),
      ...(s.energyJ !== undefined ? { predictedEnergyJ: s.energyJ * s.devices.length } : {}),
    })),
    // the coordinator sends graph inputs as they are: float32 uncompressed, other dtypes as their bytes
    graphInputs: plan.inputs.map((t) => ({ ...tensor(t), wire: t.dtype === 'float32' ? 'fp32' : 'native' })),
    graphOutputs: plan.outputs.map((t) => t.name),
    ...(p?.throughputPerS !== undefined ? { predictedThroughputPerS: p.throughputPerS } : {}),
    ...(p?.latencyS !== undefined && p.latencyS !== null ? { predictedLatencyS: p.latencyS } : {}),
    ...(plan.link !== undefined ? { link: plan.link } : {}),
    ...(plan.topology === 'dag' ? { topology: 'dag' as const } : {}),
  };
  stageRoutes(runtime);
  return runtime;
}

/** Reads a plan directory with `readPlan` and returns the runtime's view of it. */
export function loadRuntimePlan(dir: string): RuntimePlan {
  return toRuntimePlan(readPlan(dir));
}
