/**
 * Goodput on an emulated BLE link (real TCP sockets on 127.0.0.1, time-compressed): edgesplit's
 * credit/buffer-aware delivery versus the TinyML seed's window-N acknowledgement scheme.
 * Prints each scheme's goodput as a fraction of the link's payload capacity, measured in one run.
 *
 *   npx tsx bench/goodput.ts [--link ble-esp32s3] [--bytes 524288] [--time-scale 0.05] [--windows 1,2,4,6,8,16,32] [--loss 0] [--cap-s 8] [--json]
 */
import { getLink } from '../src/catalog/index.js';
import type { TensorFrame } from '../src/transport/codec/frame.js';
import { creditScheme } from '../src/transport/link/credit-scheme.js';
import { emulateLink, type EmulatedLink, type LinkStats } from '../src/transport/link/emulated-link.js';
import type { DeliveryScheme } from '../src/transport/link/scheme.js';
import { windowScheme } from '../src/transport/link/window-scheme.js';
import {
  linkParamsFromSpec,
  payloadCapacityBytesPerS,
  type LinkParams,
} from '../src/transport/link/params.js';
import { formatTable } from '../src/cli/output.js';
import { tcpTransport } from '../src/transport/tcp/tcp-transport.js';
import type { Connection } from '../src/transport/transport.js';

interface Row {
  scheme: string;
  goodput: number;
  seconds: number;
  complete: boolean;
  /** Sending end's and receiving end's link counters. */
  sender: LinkStats;
  receiver: LinkStats;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function runOnce(
  params: LinkParams,
  scheme: DeliveryScheme,
  totalBytes: number,
  timeScale: number,
  capS: number,
): Promise<Row> {
  const links: EmulatedLink[] = [];
  const wrap = (raw: Parameters<typeof emulateLink>[0]) => {
    const l = emulateLink(raw, { params, scheme, timeScale, seed: 7 });
    links.push(l);
    return l;
  };
  let gotServer!: (c: Connection) => void;
  const serverConn = new Promise<Connection>((r) => (gotServer = r));
  const listener = await tcpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    wrap,
    log: () => undefined,
    handshakeTimeoutMs: 60_000,
    onConnection: gotServer,
  });
  const client = await tcpTransport.connect({
    host: '127.0.0.1',
    port: listener.port,
    wrap,
    log: () => undefined,
    handshakeTimeoutMs: 60_000,
  });
  const server = await serverConn;
  const elements = 4096;
  const frames = Math.ceil(totalBytes / (elements * 4));
  const data = new Float32Array(elements).map((_, i) => Math.sin(i));
  const start = performance.now();
  let received = 0;
  const deadline = start + capS * 1000;
  const consumer = (async () => {
    for await (const f of server) {
      received += (f as TensorFrame).tensor.data.byteLength;
      if (received >= frames * elements * 4 || performance.now() > deadline) break;
    }
  })();
  const producer = (async () => {
    for (let i = 0; i < frames && performance.now() < deadline; i++) {
      await client.send({
        type: 'tensor',
        streamId: 1,
        seq: i,
        name: 'act',
        tensor: { dtype: 'float32', dims: [elements], data },
      });
    }
  })();
  const timer = new Promise<void>((r) => setTimeout(r, capS * 1000 + 50).unref());
  await Promise.race([consumer, timer]);
  const seconds = (performance.now() - start) / 1000;
  const emulatedS = seconds / timeScale;
  const byQueued = [...links].sort((a, b) => b.stats().bytesQueued - a.stats().bytesQueued);
  const row: Row = {
    scheme: scheme.name === 'credit' ? 'edgesplit credit' : scheme.name,
    goodput: received / emulatedS / payloadCapacityBytesPerS(params),
    seconds,
    complete: received >= frames * elements * 4,
    sender: byQueued[0].stats(),
    receiver: byQueued[1].stats(),
  };
  for (const l of links) l.destroy();
  await Promise.race([
    Promise.allSettled([producer, client.close(), listener.close()]),
    new Promise((r) => setTimeout(r, 500)),
  ]);
  return row;
}

async function main(): Promise<void> {
  const linkId = arg('link', 'ble-esp32s3');
  const totalBytes = Number(arg('bytes', String(512 * 1024)));
  const timeScale = Number(arg('time-scale', '0.05'));
  const windows = arg('windows', '1,2,4,6,8,16,32').split(',').map(Number);
  const loss = Number(arg('loss', '0'));
  const capS = Number(arg('cap-s', '8'));
  const params = linkParamsFromSpec(getLink(linkId), loss > 0 ? { lossRate: loss } : {});
  const schemes: DeliveryScheme[] = [creditScheme(), ...windows.map((n) => windowScheme(n))];
  const rows: Row[] = [];
  for (const s of schemes) {
    process.stderr.write(`goodput: ${s.name} ...\n`);
    rows.push(await runOnce(params, s, totalBytes, timeScale, capS));
  }
  const ours = rows[0].goodput;
  const bestWindow = Math.max(...rows.slice(1).map((r) => r.goodput));
  if (process.argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ link: params, totalBytes, timeScale, rows, oursOverBestWindow: ours / bestWindow }, null, 2)}\n`,
    );
    return;
  }
  console.log(
    `link ${params.id}: ${params.throughputBps / 1000} kb/s payload, ${params.packetBytes}-byte packets (${params.headerBytes} B header), latency ${params.latencyMs} ms, receiver buffer ${params.bufferPackets} packets, air ${params.airBps / 1e6} Mb/s, loss ${params.lossRate}`,
  );
  console.log(
    `payload ${totalBytes} bytes as ${Math.ceil(totalBytes / 16384)} fp32 tensors, time scale ${timeScale} (1 emulated s = ${timeScale} real s)`,
  );
  const header = [
    'scheme',
    'goodput/capacity',
    'real s',
    'complete',
    'packets sent',
    'retransmitted',
    'dropped@buffer',
    'lost@air',
    'timeouts',
  ];
  const table = rows.map((r) => [
    r.scheme,
    r.goodput.toFixed(3),
    r.seconds.toFixed(2),
    String(r.complete),
    String(r.sender.packetsSent),
    String(r.sender.retransmissions),
    String(r.receiver.bufferDrops),
    String(r.sender.lostOnAir),
    String(r.sender.timeouts),
  ]);
  console.log(formatTable(header, table));
  console.log(
    `ours / best window-N = ${(ours / bestWindow).toFixed(2)}; ours >= 0.9: ${ours >= 0.9}; above every window-N: ${ours > bestWindow}`,
  );
}

await main();
