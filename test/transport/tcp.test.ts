import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import { runHoldContract } from './hold.contract.js';
import { runTransportContract } from './transport.contract.js';

runTransportContract('tcp', () => tcpTransport);
runHoldContract('tcp', () => tcpTransport);

describe('tcp specifics', () => {
  it('fails to connect to a closed port with a TransportError naming the address', async () => {
    const l = await tcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      log: () => undefined,
      onConnection: () => undefined,
    });
    const port = l.port;
    await l.close();
    await expect(tcpTransport.connect({ host: '127.0.0.1', port, log: () => undefined })).rejects.toThrow(
      new RegExp(`cannot connect to 127.0.0.1:${port}`),
    );
  });

  it('refuses to listen on a port in use', async () => {
    const l = await tcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      log: () => undefined,
      onConnection: () => undefined,
    });
    await expect(
      tcpTransport.listen({
        host: '127.0.0.1',
        port: l.port,
        log: () => undefined,
        onConnection: () => undefined,
      }),
    ).rejects.toBeInstanceOf(TransportError);
    await l.close();
  });
});

describe('tcp handshake hardening', () => {
  it('drops a peer that sends a large frame before authenticating', async () => {
    const { connect } = await import('node:net');
    const { encodeFrame } = await import('../../src/transport/codec/frame.js');
    const events: string[] = [];
    const l = await tcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      key: Buffer.alloc(16, 1),
      log: (e) => events.push(e.event),
      onConnection: () => undefined,
    });
    const big = encodeFrame({ type: 'control', streamId: 0, seq: 0, body: 'x'.repeat(200_000) });
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: l.port }, () => s.write(big));
      s.on('error', () => undefined);
      s.resume();
      s.on('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    expect(events).toContain('handshake-too-large');
    expect(l.stats().refused).toBe(1);
    await l.close();
  });
});
