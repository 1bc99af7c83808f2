/**
 * A node's downstream when reaching a peer fails for a while (in-process transport, a connect that
 * fails on demand): a pinned sample never moves to another replica, a peer is retried rather than
 * written off, and the coordinator's new peers clear what the node learnt about failures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Downstream, type DownstreamOptions } from '../../src/runtime/downstream.js';
import type { TensorFrame } from '../../src/transport/codec/frame.js';
import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { Connection, Transport } from '../../src/transport/transport.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

/** Gather replicas A and B on one in-process transport; each keeps the connections it accepted. */
async function gathers(
  transport: Transport,
): Promise<{ A: string; B: string; accepted: Map<string, Connection[]>; got: Map<string, number[]> }> {
  const accepted = new Map<string, Connection[]>();
  const got = new Map<string, number[]>();
  const addresses: string[] = [];
  for (let i = 0; i < 2; i++) {
    const conns: Connection[] = [];
    const seqs: number[] = [];
    const l = await transport.listen({
      host: 'gather',
      port: 0,
      onConnection: (c) => {
        conns.push(c);
        void (async () => {
          for await (const f of c) if (f.type === 'tensor') seqs.push(f.seq);
        })().catch(() => undefined);
      },
    });
    closers.push(() => l.close());
    const address = `gather:${l.port}`;
    accepted.set(address, conns);
    got.set(address, seqs);
    addresses.push(address);
  }
  return { A: addresses[0], B: addresses[1], accepted, got };
}

/** `base` with connects to `address` failing while `failing()` says so; counts connects per address. */
function flaky(
  base: Transport,
  address: string,
  failing: () => boolean,
): Transport & { tries: Map<string, number> } {
  const tries = new Map<string, number>();
  return {
    ...base,
    tries,
    connect: (o) => {
      const to = `${o.host}:${o.port}`;
      tries.set(to, (tries.get(to) ?? 0) + 1);
      return to === address && failing() ? Promise.reject(new Error('connect timed out')) : base.connect(o);
    },
  };
}

function downstream(transport: Transport, extra: Partial<DownstreamOptions> = {}): Downstream {
  return new Downstream({
    transport,
    log: () => undefined,
    onConnection: (c) => closers.push(() => c.close('test done')),
    ...extra,
  });
}

const frame = (seq: number): TensorFrame => ({
  type: 'tensor',
  streamId: 1,
  seq,
  name: 'x',
  tensor: { dtype: 'uint8', dims: [4], data: new Uint8Array(4).fill(seq) },
});
const noCoordinator = undefined as unknown as Connection;

describe('Downstream after a failed connect', () => {
  it('sends one sample of sibling branches to the same gather replica although one branch failed to connect', async () => {
    const memory = createMemoryTransport();
    const { A, B } = await gathers(memory);
    let failures = 2;
    const sick = flaky(memory, A, () => failures-- > 0);
    const left = downstream(sick, { retry: { attempts: 3, backoffMs: [0] } });
    const right = downstream(memory);
    left.setPeers([A, B]);
    right.setPeers([A, B]);
    const targets = async (d: Downstream) => {
      const out: (string | undefined)[] = [];
      for (let seq = 0; seq < 4; seq++) out.push(await d.send(noCoordinator, [frame(seq)], seq));
      return out;
    };
    const expected = [A, B, A, B];
    expect(await targets(right)).toEqual(expected);
    // the failed connects were retried; sample 0 (and 2) did not move to replica B
    expect(await targets(left)).toEqual(expected);
    expect(left.dropped).toBe(0);
    expect(sick.tries.get(A)).toBe(3);
  });

  it('drops a pinned sample whose replica stays unreachable, until new peers say where it goes', async () => {
    const memory = createMemoryTransport();
    const { A, B, got } = await gathers(memory);
    let down = true;
    const sick = flaky(memory, A, () => down);
    const d = downstream(sick, { retry: { attempts: 1, backoffMs: [3_600_000] } });
    d.setPeers([A, B]);
    expect(await d.send(noCoordinator, [frame(0)], 0)).toBeUndefined();
    expect(d.dropped).toBe(1);
    // a failed peer waits out its backoff: no connect per sample
    const tried = sick.tries.get(A);
    down = false;
    expect(await d.send(noCoordinator, [frame(2)], 2)).toBeUndefined();
    expect(sick.tries.get(A)).toBe(tried);
    expect(d.dropped).toBe(2);
    // never diverted
    expect(got.get(B)).toEqual([]);
    // the coordinator's peers (a new epoch) clear the backoff; without A, sample 0 goes to B
    d.setPeers([A, B]);
    expect(await d.send(noCoordinator, [frame(0)], 0)).toBe(A);
    d.setPeers([B]);
    expect(await d.send(noCoordinator, [frame(0)], 0)).toBe(B);
  });

  it('reopens a connection the peer closed (a node starting a new run closes its upstream connections)', async () => {
    const memory = createMemoryTransport();
    const { A, accepted } = await gathers(memory);
    const mine: Connection[] = [];
    const d = downstream(memory, { onConnection: (c) => mine.push(c) });
    d.setPeers([A]);
    expect(await d.send(noCoordinator, [frame(0)])).toBe(A);
    await accepted.get(A)![0].close('new run');
    await mine[0].closed;
    expect(await d.send(noCoordinator, [frame(1)])).toBe(A);
    expect(accepted.get(A)).toHaveLength(2);
    expect(d.dropped).toBe(0);
  });
});

describe('Downstream when a send on an open connection fails', () => {
  it('backs that replica off and gives the sample to another one', async () => {
    const memory = createMemoryTransport();
    // replica A grants one frame of credit and never reads: its second sample waits for credit
    const accepted: Connection[] = [];
    const a = await memory.listen({
      host: 'stuck',
      port: 0,
      window: { frames: 1 },
      onConnection: (c) => accepted.push(c),
    });
    closers.push(() => a.close());
    const { A: B, got } = await gathers(memory);
    const A = `stuck:${a.port}`;
    const d = downstream(memory, { retry: { attempts: 2, backoffMs: [3_600_000] } });
    d.setPeers([A, B], 'round-robin');
    expect(await d.send(noCoordinator, [frame(0)])).toBe(A);
    expect(await d.send(noCoordinator, [frame(1)])).toBe(B);
    // the send is queued for credit on A's open connection before send() first yields
    const waiting = d.send(noCoordinator, [frame(2)]);
    await accepted[0].close('replica failed');
    expect(await waiting).toBe(B);
    // A waits out its backoff: the next samples go to B without trying A
    expect(await d.send(noCoordinator, [frame(3)])).toBe(B);
    expect(accepted).toHaveLength(1);
    await expect.poll(() => got.get(B)).toEqual([1, 2, 3]);
    expect(d.dropped).toBe(0);
  });
});
