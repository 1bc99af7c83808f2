/**
 * What the modelled costs of `edgesplit hi` need to know about the remote model, whatever the remote
 * is: its MACs per sample (for the on-device-large row and the server time) and the server time on
 * the catalog hub device. Never this host's measured server time: a loaded host must not change a
 * modelled figure.
 */
import type { DeviceSpec } from '../../catalog/index.js';
import { UsageError } from '../../core/errors.js';
import { profileModelFile } from '../../profile/index.js';
import { deviceInferenceCost, type SourcedCost } from '../../strategy/hi/costs.js';
import type { V2Client } from '../client.js';
import { MACS_PARAMETER } from '../model-config.js';

/** The remote model's MACs and where they came from. */
export interface RemoteWork {
  readonly macs: number;
  /** e.g. `from models/remote.onnx (profiled)` or `from the server's model config (edgesplit_macs_per_sample)`. */
  readonly source: string;
}

/** Where to look for the remote model's MACs, in order. */
export interface RemoteWorkSources {
  /** The ONNX file served in-process, or given with `--remote-onnx` for a URL remote. */
  readonly file?: string;
  /** How `file` was given, for the source line. */
  readonly fileRole?: string;
  readonly client: V2Client;
  readonly model: string;
  /** The URL, for the error message. */
  readonly remote: string;
}

/** The remote model's MACs: profiled from its file, else read from the server's Triton model config. */
export async function remoteWork(s: RemoteWorkSources): Promise<RemoteWork> {
  if (s.file !== undefined) {
    const macs = (await profileModelFile(s.file)).profile.totals.macs;
    return { macs, source: `from ${s.fileRole ?? ''}${s.file} (profiled)` };
  }
  let advertised: string | undefined;
  try {
    advertised = (await s.client.modelConfig(s.model)).parameters?.[MACS_PARAMETER]?.string_value;
  } catch {
    // a server without the model-configuration extension: fall through to the usage error
  }
  const macs = Number(advertised);
  if (advertised !== undefined && Number.isFinite(macs) && macs >= 0)
    return { macs, source: `from the server's model config (${MACS_PARAMETER})` };
  throw new UsageError(
    `--remote ${s.remote}: the remote model's MACs are unknown (its server's model config has no ${MACS_PARAMETER}); ` +
      `pass --remote-onnx <the ONNX file it serves> so the modelled server time and the on-device-large row can be computed`,
  );
}

/** Server time per offloaded sample on the hub device, modelled from the remote model's MACs. */
export function modelledServerCost(hub: DeviceSpec, work: RemoteWork): SourcedCost & { hub: string } {
  const c = deviceInferenceCost(hub, undefined, { macs: work.macs });
  return { ...c, hub: hub.id, basis: `${c.basis}, MACs ${work.source}` };
}
