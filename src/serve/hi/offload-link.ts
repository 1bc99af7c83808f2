/**
 * The offload path of the HI system: a v2 client that reaches the remote server through a link proxy
 * emulating a catalog link in real time (or directly, over raw loopback HTTP, without one), with the
 * traffic it caused and the default size of the latency pass.
 */
import type { LinkSpec } from '../../catalog/index.js';
import { UsageError } from '../../core/errors.js';
import { linkTransferCost } from '../../strategy/hi/costs.js';
import { V2Client } from '../client.js';
import { startLinkProxy, type LinkProxy, type LinkProxyStats } from '../link-proxy.js';
import type { BatchRunner } from './evaluate.js';

/** Emulated link time the latency pass may take by default, ms (the link runs in real time). */
export const LATENCY_LINK_BUDGET_MS = 30_000;
/** Allowance for HTTP and v2 headers per offload and direction when sizing the default, bytes. */
const HTTP_ALLOWANCE_BYTES = 1024;

/**
 * Default number of latency samples: 200, or fewer when two offloads per sample over the emulated link
 * (the remote strategy's and at most about one more for HI and EE-HI) would exceed
 * {@link LATENCY_LINK_BUDGET_MS} by the catalog model; never below 5 (very slow links such as LoRa still take minutes).
 */
export function defaultLatencySamples(
  offloadLink: LinkSpec | undefined,
  imageBytes: number,
  timeScale = 1,
): number {
  if (!offloadLink) return 200;
  const rtMs =
    (linkTransferCost(offloadLink, imageBytes + HTTP_ALLOWANCE_BYTES).latencyMs +
      linkTransferCost(offloadLink, HTTP_ALLOWANCE_BYTES).latencyMs) *
    timeScale;
  return Math.max(5, Math.min(200, Math.floor(LATENCY_LINK_BUDGET_MS / (2 * rtMs))));
}

/** What the offloads sent through the emulated link. */
export interface LinkTraffic {
  readonly offloads: number;
  /** Application (HTTP) bytes per offload, each way. */
  readonly bytesUpPerOffload: number;
  readonly bytesDownPerOffload: number;
  readonly timeScale: number;
  readonly stats: LinkProxyStats;
}

/** An open offload path. */
export interface OffloadPath {
  /** One inference on the remote model (counted as an offload). */
  readonly run: BatchRunner;
  /** Traffic so far, when a link is emulated. */
  traffic(): LinkTraffic | undefined;
  /** One line saying how offloads travelled, for the report. */
  note(): string;
  close(): Promise<void>;
}

/** Options of {@link openOffloadPath}. */
export interface OffloadPathOptions {
  /** Base URL of the v2 server (`http://host:port` or `grpc://host:port`). */
  readonly base: string;
  readonly model: string;
  readonly inputName: string;
  readonly key?: string;
  /** Link to emulate; none = raw loopback HTTP. */
  readonly link?: LinkSpec;
  readonly timeScale?: number;
}

/** Starts the link proxy in front of `base` (when a link is given) and returns the offload runner. */
export async function openOffloadPath(o: OffloadPathOptions): Promise<OffloadPath> {
  let proxy: LinkProxy | undefined;
  if (o.link) {
    const u = new URL(o.base);
    if (u.protocol !== 'http:' && u.protocol !== 'grpc:')
      throw new UsageError(
        `link emulation proxies plain TCP: ${o.base} is ${u.protocol.slice(0, -1)}; use --link none for it`,
      );
    proxy = await startLinkProxy({
      target: { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) },
      link: o.link,
      timeScale: o.timeScale,
    });
  }
  // the proxy carries any TCP protocol, so a gRPC remote is reached as grpc:// through it
  const via = proxy
    ? o.base.startsWith('grpc:')
      ? proxy.url.replace(/^http:/, 'grpc:')
      : proxy.url
    : o.base;
  const client = new V2Client(via, { key: o.key });
  let offloads = 0;
  const traffic = (): LinkTraffic | undefined => {
    if (!proxy) return undefined;
    const stats = proxy.stats();
    const n = Math.max(1, offloads);
    return {
      offloads,
      bytesUpPerOffload: stats.up.payloadBytes / n,
      bytesDownPerOffload: stats.down.payloadBytes / n,
      timeScale: proxy.timeScale,
      stats,
    };
  };
  return {
    run: async (input) => {
      offloads += 1;
      return (await client.infer(o.model, { [o.inputName]: input })).outputs;
    },
    traffic,
    note: () => {
      const t = traffic();
      if (!t) return 'offloads over raw loopback HTTP (no link emulated: --link none)';
      const scale = t.timeScale === 1 ? 'real time' : `time scale ${t.timeScale}`;
      return (
        `each offload went over ${o.base.startsWith('grpc:') ? 'gRPC' : 'HTTP'} through the emulated ${o.link!.id} link (${scale}; ` +
        `${Math.round(t.bytesUpPerOffload)} B up, ${Math.round(t.bytesDownPerOffload)} B down per offload, ` +
        `${t.stats.up.retransmissions + t.stats.down.retransmissions} retransmissions); nothing modelled is added`
      );
    },
    close: async () => {
      client.close();
      await proxy?.close();
    },
  };
}
