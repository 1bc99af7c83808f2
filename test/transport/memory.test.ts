import { createMemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { runHoldContract } from './hold.contract.js';
import { runTransportContract } from './transport.contract.js';

runTransportContract('memory', () => createMemoryTransport());
runHoldContract('memory', () => createMemoryTransport());
runTransportContract('memory, 1..7-byte chunks', () =>
  createMemoryTransport({ chunking: { seed: 3, maxChunk: 7 } }),
);
