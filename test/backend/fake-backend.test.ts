import { fakeBackend, fakeModelBytes } from '../runtime/fake-backend.js';
import { seededInput } from '../helpers/models.js';
import { backendContract } from './backend.contract.js';

// the runtime's unit tests stand on the fake: it keeps the contract onnxruntime-node keeps
backendContract('fake', () => ({
  backend: fakeBackend(),
  model: fakeModelBytes({
    inputs: ['x'],
    outputs: { y: { sum: ['x'], add: 1 }, z: { sum: ['x', 'x'], add: -2 } },
  }),
  feeds: (batch, seed) => ({ x: { dtype: 'float32', dims: [batch, 6], data: seededInput(batch * 6, seed) } }),
}));
