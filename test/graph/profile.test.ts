import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { convAutoencoder, lenet5, resnet } from '../../src/graph/builder/architectures.js';
import { peakActivationBytes, profileGraph } from '../../src/profile/profile.js';

describe('profiler on hand-computed models', () => {
  it('LeNet-5: MACs and params per layer', () => {
    const p = profileGraph(buildGraph(lenet5()));
    const byOp = (op: string) => p.nodes.filter((n) => n.op === op);
    // conv1 28*28*6*(1*5*5); conv2 10*10*16*(6*5*5)
    expect(byOp('Conv').map((n) => n.macs)).toEqual([28 * 28 * 6 * 25, 10 * 10 * 16 * 150]);
    expect(byOp('Conv').map((n) => n.params)).toEqual([6 * 25 + 6, 16 * 150 + 16]);
    expect(byOp('Gemm').map((n) => n.macs)).toEqual([400 * 120, 120 * 84, 84 * 10]);
    expect(p.totals.params).toBe(156 + 2416 + 48120 + 10164 + 850);
    expect(p.totals.macs).toBe(117600 + 240000 + 48000 + 10080 + 840);
    // pooling counted as ops (window x outputs), not MACs
    const pool = byOp('MaxPool')[0];
    expect(pool.macs).toBe(0);
    expect(pool.ops).toBe(14 * 14 * 6 * 4);
    expect(pool.outputShape).toEqual([1, 6, 14, 14]);
    expect(pool.outputBytes).toBe(14 * 14 * 6 * 4);
  });

  it('DV bytes follow the activation bit width; weight bytes the weight bit width', () => {
    const g = buildGraph(lenet5());
    const p8 = profileGraph(g, { activationBits: 8, weightBits: 10 });
    const conv1 = p8.nodes[0];
    expect(conv1.outputBytes).toBe(28 * 28 * 6);
    expect(conv1.weightBytes).toBe(Math.ceil((156 * 10) / 8));
    expect(p8.cuts[0].bytes).toBe(32 * 32);
  });

  it('ResNet-8: skip connections make cuts carry two tensors; counts match hand arithmetic', () => {
    const g = buildGraph(resnet());
    const p = profileGraph(g);
    // stem conv 3x3 1->16 at 28x28, no bias
    expect(p.nodes[0].macs).toBe(28 * 28 * 16 * 9);
    expect(p.nodes[0].params).toBe(16 * 9);
    // BN params are scale+bias only (running stats are buffers)
    const bn = p.nodes.find((n) => n.op === 'BatchNormalization')!;
    expect(bn.params).toBe(32);
    expect(bn.weightBytes).toBe(64 * 4);
    const multi = p.cuts.filter((c) => c.live.length > 1);
    expect(multi.length).toBeGreaterThan(0);
    // inside the first block both the block input (16x28x28) and the branch are live
    const first = multi[0];
    expect(first.bytes).toBe(first.live.reduce((s, t) => s + t.elements * 4, 0));
    expect(first.live.some((t) => t.elements === 16 * 28 * 28)).toBe(true);
    // the final cut is the graph output only
    expect(p.cuts[p.cuts.length - 1].live.map((t) => t.name)).toEqual(['logits']);
    expect(p.cuts[p.cuts.length - 1].cumulativeMacs).toBe(p.totals.macs);
  });

  it('autoencoder: ConvTranspose MACs counted from its input', () => {
    const p = profileGraph(buildGraph(convAutoencoder({ latent: 32 })));
    const ct = p.nodes.filter((n) => n.op === 'ConvTranspose');
    // 32x7x7 -> 16x14x14 with 3x3: input elems * (Cout/groups) * k*k
    expect(ct[0].macs).toBe(32 * 7 * 7 * 16 * 9);
    expect(ct[0].outputShape).toEqual([1, 16, 14, 14]);
    expect(ct[1].macs).toBe(16 * 14 * 14 * 1 * 9);
    expect(ct[1].outputShape).toEqual([1, 1, 28, 28]);
    const latent = p.nodes.filter((n) => n.op === 'Gemm')[0];
    expect(latent.macs).toBe(32 * 7 * 7 * 32);
    expect(latent.outputBytes).toBe(32 * 4);
  });

  it('peak activation memory of a range counts inputs, outputs and intermediates alive together', () => {
    const g = buildGraph(lenet5());
    // conv1 alone: input 1x32x32 and output 6x28x28 coexist
    expect(peakActivationBytes(g, 0, 1, 32)).toBe((32 * 32 + 6 * 28 * 28) * 4);
    // conv1 + relu: conv output and relu output coexist, input freed after conv
    expect(peakActivationBytes(g, 0, 2, 8)).toBe(2 * 6 * 28 * 28);
    const whole = peakActivationBytes(g, 0, g.nodes.length, 32);
    expect(whole).toBeGreaterThanOrEqual(peakActivationBytes(g, 0, 1, 32));
  });
});
