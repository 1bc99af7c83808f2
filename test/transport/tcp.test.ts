import { tcpTransport } from '../../src/transport/tcp/tcp-transport.js';
import { runTransportContract } from './transport.contract.js';

runTransportContract('tcp', () => tcpTransport);
