import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { alexnet, mobilenetV2, resnet18 } from '../../src/graph/builder/architectures.js';
import { profileGraph } from '../../src/profile/profile.js';

// torchvision's published figures (params incl. BN affine; GMACs of conv + linear layers)
const PUBLISHED = [
  { name: 'ResNet-18', build: resnet18, params: 11_689_512, gmacs: 1.814 },
  { name: 'MobileNetV2', build: mobilenetV2, params: 3_504_872, gmacs: 0.301 },
  { name: 'AlexNet', build: alexnet, params: 61_100_840, gmacs: 0.714 },
];

describe('published architectures built with the model builder at 224x224', () => {
  for (const arch of PUBLISHED) {
    it(`${arch.name}: params exact, MACs within 1%`, () => {
      // external data: weights are never generated nor read, profiling works from metadata alone
      const p = profileGraph(buildGraph(arch.build({ externalDataFile: 'weights.bin' })));
      expect(p.totals.params).toBe(arch.params);
      expect(Math.abs(p.totals.macs / 1e9 / arch.gmacs - 1)).toBeLessThan(0.01);
    });
  }
});
