/**
 * The LCP DAG plan the runtime tests run: `models/lcp-split4.onnx` placed by `planLcpModel` on four
 * rpi3bplus over the seed's Wi-Fi, `replicas` nodes per stage, in a temporary directory removed by
 * {@link removeLcpPlans}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/index.js';
import { planLcpModel } from '../../src/plan/lcp-plan.js';
import { loadRuntimePlan } from '../../src/runtime/plan-dir.js';
import type { RuntimePlan } from '../../src/runtime/routes.js';
import { parseDeviceSpec } from '../../src/strategy/plan/devices.js';

/** The LCP model the DAG tests run. */
export const LCP_MODEL = 'models/lcp-split4.onnx';

const dirs: string[] = [];

/** Plans {@link LCP_MODEL} with `replicas` nodes per stage and reads the plan back. */
export async function lcpPlan(replicas: number): Promise<RuntimePlan> {
  const out = mkdtempSync(join(tmpdir(), 'edgesplit-lcp-plan-'));
  dirs.push(out);
  await planLcpModel(LCP_MODEL, {
    devices: parseDeviceSpec('rpi3bplusx4', loadDeviceCatalog([])),
    link: loadLinkCatalog([]).get('wifi-rpi3bplus'),
    replicas,
    out,
  });
  return loadRuntimePlan(out);
}

/** Removes every plan directory {@link lcpPlan} made. */
export function removeLcpPlans(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
