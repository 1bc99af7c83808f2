/**
 * Air time a node's emulated links to the next stage spent (pure): what its radio put on air for the
 * next stage (packets and retransmissions) and what came back on those connections (the transport's
 * credits and replies), from the link emulation's own counters. Nodes report it in the `flush` reply;
 * the twin report turns it into the measured per-sample transfer time of each hop.
 */
import { z } from 'zod';
import type { LinkStats } from '../transport/link/stats.js';

/** One node's outbound air use, ms on its clock (real time; the twin report scales it). */
export const linkAirSchema = z.object({
  /** Air time of its transmissions to the next stage, lost ones and retransmissions included. */
  sentMs: z.number().nonnegative(),
  /** Air time of what the next stage sent back on those connections. */
  feedbackMs: z.number().nonnegative(),
  /** Transmissions, and how many of them were retransmissions. */
  packets: z.number().int().nonnegative(),
  retransmissions: z.number().int().nonnegative(),
  /** Bytes the runtime handed the links (frames with their headers). */
  bytes: z.number().nonnegative(),
});
/** Parsed air use. */
export type LinkAir = z.infer<typeof linkAirSchema>;

/** No air use. */
export const NO_AIR: LinkAir = { sentMs: 0, feedbackMs: 0, packets: 0, retransmissions: 0, bytes: 0 };

/** What a link's counters grew by since `base` (a snapshot of the same link). */
export function airSince(now: LinkStats, base?: LinkStats): LinkAir {
  return {
    sentMs: now.airSentMs - (base?.airSentMs ?? 0),
    feedbackMs: now.airReceivedMs - (base?.airReceivedMs ?? 0),
    packets: now.packetsSent - (base?.packetsSent ?? 0),
    retransmissions: now.retransmissions - (base?.retransmissions ?? 0),
    bytes: now.bytesQueued - (base?.bytesQueued ?? 0),
  };
}

/** The sum of two air uses. */
export function addAir(a: LinkAir, b: LinkAir): LinkAir {
  return {
    sentMs: a.sentMs + b.sentMs,
    feedbackMs: a.feedbackMs + b.feedbackMs,
    packets: a.packets + b.packets,
    retransmissions: a.retransmissions + b.retransmissions,
    bytes: a.bytes + b.bytes,
  };
}

/** A stage's air use: the sum over its nodes, and the samples they sent on. */
export interface StageAir extends LinkAir {
  readonly samples: number;
}

/** What a node said in its `flush` reply. */
export interface FlushedNode {
  readonly stageIndex: number;
  readonly processed?: number;
  readonly air?: LinkAir;
}

/** Per stage (index), the sum of its nodes' air use; undefined for a stage none of whose nodes reported any. */
export function stageAir(stages: number, nodes: readonly FlushedNode[]): (StageAir | undefined)[] {
  const out: (StageAir | undefined)[] = new Array<StageAir | undefined>(stages).fill(undefined);
  for (const n of nodes) {
    if (!n.air || n.stageIndex < 0 || n.stageIndex >= stages) continue;
    const prev = out[n.stageIndex] ?? { ...NO_AIR, samples: 0 };
    out[n.stageIndex] = { ...addAir(prev, n.air), samples: prev.samples + (n.processed ?? 0) };
  }
  return out;
}
