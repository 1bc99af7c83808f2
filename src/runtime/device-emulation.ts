/**
 * What `--emulate` means for a run and for one node. `devices`: each node paces its compute to the
 * plan's catalog device and all its emulated links draw from one radio; `links`: only the links are
 * emulated, each connection with its own budget (compute at this machine's speed); `none`: raw
 * sockets and raw compute. `timeScale` k runs deployment time k times faster, compute and links alike.
 */
import type { DeviceCatalog, LinkCatalog } from '../catalog/catalog.js';
import { UsageError } from '../core/errors.js';
import { Radio } from '../transport/link/radio.js';
import { resolveLinkWrap, type LinkWrap } from './link-wrap.js';
import { checkTimeScale, emulationGaps, Pacer, planPacing, type StagePacing } from './pacing.js';
import type { RuntimePlan } from './routes.js';

/** The emulation modes of `edgesplit run` and `edgesplit node`. */
export const EMULATION_MODES = ['devices', 'links', 'none'] as const;
/** One emulation mode. */
export type EmulationMode = (typeof EMULATION_MODES)[number];

/** `devices` when every plan device is a catalog device and every stage has MACs, else `links`. */
export function defaultEmulation(plan: RuntimePlan, devices: DeviceCatalog): EmulationMode {
  return emulationGaps(plan, devices).length === 0 ? 'devices' : 'links';
}

/** Checks a mode name, naming the flag. */
export function parseEmulationMode(value: string, flag = '--emulate'): EmulationMode {
  if ((EMULATION_MODES as readonly string[]).includes(value)) return value as EmulationMode;
  throw new UsageError(`${flag} must be one of ${EMULATION_MODES.join(', ')}, got '${value}'`);
}

/** A node's emulation: the wrapper of its stage-to-stage connections, its pacer and its radio. */
export interface NodeEmulation {
  readonly linkWrap?: LinkWrap;
  readonly pacer: Pacer;
  readonly radio?: Radio;
  /** One line for the node's log. */
  readonly description: string;
}

/** Options of {@link nodeEmulation}. */
export interface NodeEmulationOptions {
  readonly mode: EmulationMode;
  /** Catalog link id ("none" or undefined: real sockets). */
  readonly link?: string;
  /** Deployment time runs this many times faster (default 1). */
  readonly timeScale?: number;
  /** Names the radio (default the process id). */
  readonly name?: string;
  /** The catalog `link` is looked up in. */
  readonly links: LinkCatalog;
}

/** Builds a node's emulation; unknown link ids throw listing the known ones. */
export function nodeEmulation(o: NodeEmulationOptions): NodeEmulation {
  const k = o.timeScale ?? 1;
  checkTimeScale(k);
  const link = o.mode === 'none' ? undefined : o.link;
  const emulated = link !== undefined && link !== 'none';
  const radio = o.mode === 'devices' && emulated ? new Radio(o.name ?? `pid ${process.pid}`) : undefined;
  const linkWrap = resolveLinkWrap(link, o.links, 1 / k, radio);
  const pacer = new Pacer({ ...(radio ? { radio } : {}), ...(emulated ? { linkTimeScale: k } : {}) });
  const what = emulated
    ? `${link}${radio ? ' with one radio for all connections' : ' per connection'}`
    : 'no link';
  return {
    ...(linkWrap ? { linkWrap } : {}),
    pacer,
    ...(radio ? { radio } : {}),
    description: `emulation ${o.mode}: ${what}, time scale ${k}`,
  };
}

/** What a run's `--emulate`, `--link` and `--time-scale` resolve to. */
export interface RunEmulation {
  readonly mode: EmulationMode;
  /** Link emulated between stages ("none": real sockets). */
  readonly link: string;
  readonly timeScale: number;
  /** Pacing per plan device name (devices mode). */
  readonly pacing?: ReadonlyMap<string, StagePacing>;
  /** What local nodes need to emulate alike. */
  readonly node: { readonly emulate: EmulationMode; readonly timeScale: number };
}

/**
 * Resolves a run's emulation. The link defaults to the plan's own link in `devices` mode and to none
 * otherwise; `none` never emulates. Throws when devices cannot be emulated (naming what is missing).
 */
export function runEmulation(
  plan: RuntimePlan,
  o: { mode?: EmulationMode; link?: string; timeScale?: number; devices: DeviceCatalog },
): RunEmulation {
  const mode = o.mode ?? 'links';
  const timeScale = o.timeScale ?? 1;
  checkTimeScale(timeScale);
  const link = mode === 'none' ? 'none' : (o.link ?? (mode === 'devices' ? (plan.link ?? 'none') : 'none'));
  return {
    mode,
    link,
    timeScale,
    ...(mode === 'devices' ? { pacing: planPacing(plan, o.devices, timeScale) } : {}),
    node: { emulate: mode, timeScale },
  };
}

/**
 * The time scale that makes `samples` of a plan take about `wallBudgetS` of real time, from the
 * plan's predicted throughput and latency (1 when the plan predicts neither or runs fast anyway).
 */
export function timeScaleFor(plan: RuntimePlan, samples: number, wallBudgetS: number): number {
  const tput = plan.predictedThroughputPerS;
  if (!(tput !== undefined && tput > 0 && wallBudgetS > 0)) return 1;
  const deploymentS = samples / tput + (plan.predictedLatencyS ?? 0);
  return Math.max(1, Math.ceil(deploymentS / wallBudgetS));
}
