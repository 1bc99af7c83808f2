import { buildGraph, type BuildOptions } from '../graph/build.js';
import type { Graph } from '../graph/types.js';
import { loadModelFile } from '../onnx/io.js';
import { profileGraph } from './profile.js';
import type { ModelProfile, ProfileOptions } from './types.js';

export * from './types.js';
export { bitsToBytes, peakActivationBytes, profileGraph } from './profile.js';
export { initializerRole, nodeMacs, nodeOps, storedBits, type InitializerRole } from './op-cost.js';
export { costUnknownOps, describeUnknownOps, requireKnownCosts, requireStaticShapes } from './unknown.js';
export { IN_PLACE_OPS, MEMORY_MODELS, nodeActivationBytes, type MemoryModel } from './memory.js';

/** Loads an ONNX file, builds its graph and profiles it. External weight files are never read. */
export async function profileModelFile(
  path: string,
  options: ProfileOptions & BuildOptions = {},
): Promise<{ graph: Graph; profile: ModelProfile }> {
  const model = await loadModelFile(path);
  const graph = buildGraph(model, path, { inputShapes: options.inputShapes });
  return { graph, profile: profileGraph(graph, options) };
}
