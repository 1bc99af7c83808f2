/** A pair of emulated link ends over a memory pipe, for the link contract and radio tests. */
import { emulateLink, type EmulatedLink } from '../../src/transport/link/emulated-link.js';
import { LINK_SEQ_BYTES, type LinkParams } from '../../src/transport/link/params.js';
import type { Radio } from '../../src/transport/link/radio.js';
import type { DeliveryScheme } from '../../src/transport/link/scheme.js';
import { memoryPipe } from '../../src/transport/memory/memory-transport.js';

/** A BLE-like link with a 4-packet receive buffer. */
export const TEST_BLE: LinkParams = {
  id: 'test-ble',
  packetBytes: 517,
  headerBytes: 3,
  throughputBps: 90_000,
  airBps: 1_000_000,
  latencyMs: 7.5,
  lossRate: 0,
  bufferPackets: 4,
  serviceJitter: 0,
};
/** Payload bytes per packet of {@link TEST_BLE}. */
export const TEST_PAYLOAD = 517 - 3 - LINK_SEQ_BYTES;

/** Deterministic bytes. */
export function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Options of one emulated transfer. */
export interface TransferOptions {
  readonly seed?: number;
  readonly txRadio?: Radio;
  readonly rxRadio?: Radio;
  readonly timeScale?: number;
}

/** Sends `writes` through an emulated pair; resolves with what the far end received and both ends' links. */
export async function transfer(
  params: LinkParams,
  scheme: () => DeliveryScheme,
  writes: readonly Buffer[],
  o: TransferOptions = {},
): Promise<{ got: Buffer; tx: EmulatedLink; rx: EmulatedLink }> {
  const seed = o.seed ?? 1;
  const timeScale = o.timeScale ?? 0.01;
  const [a, b] = memoryPipe(['a', 'b']);
  const tx = emulateLink(a, {
    params,
    scheme: scheme(),
    timeScale,
    seed,
    ...(o.txRadio ? { radio: o.txRadio } : {}),
  });
  const rx = emulateLink(b, {
    params,
    scheme: scheme(),
    timeScale,
    seed: seed + 1,
    ...(o.rxRadio ? { radio: o.rxRadio } : {}),
  });
  const total = writes.reduce((s, w) => s + w.length, 0);
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<void>((resolve) =>
    rx.start({
      data: (c) => {
        chunks.push(c);
        got += c.length;
        if (got >= total) resolve();
      },
      close: () => resolve(),
    }),
  );
  tx.start({ data: () => undefined, close: () => undefined });
  for (const w of writes) await tx.write(w);
  await done;
  return { got: Buffer.concat(chunks), tx, rx };
}
