import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/transport/errors.js';
import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import { runTransportContract } from './transport.contract.js';

runTransportContract('tcp', () => tcpTransport);

describe('tcp specifics', () => {
  it('fails to connect to a closed port with a TransportError naming the address', async () => {
    const l = await tcpTransport.listen({ host: '127.0.0.1', port: 0, log: () => undefined, onConnection: () => undefined });
    const port = l.port;
    await l.close();
    await expect(tcpTransport.connect({ host: '127.0.0.1', port, log: () => undefined })).rejects.toThrow(new RegExp(`cannot connect to 127.0.0.1:${port}`));
  });

  it('refuses to listen on a port in use', async () => {
    const l = await tcpTransport.listen({ host: '127.0.0.1', port: 0, log: () => undefined, onConnection: () => undefined });
    await expect(tcpTransport.listen({ host: '127.0.0.1', port: l.port, log: () => undefined, onConnection: () => undefined })).rejects.toBeInstanceOf(TransportError);
    await l.close();
  });
});
