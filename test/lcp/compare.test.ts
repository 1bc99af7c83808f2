import { beforeAll, describe, expect, it } from 'vitest';
import { loadDeviceCatalog, loadLinkCatalog } from '../../src/catalog/catalog.js';
import type { LinkSpec } from '../../src/catalog/schema.js';
import { EdgesplitError } from '../../src/core/errors.js';
import { profileModelFile } from '../../src/profile/index.js';
import {
  DISTRIBUTIONS,
  compareLcp,
  computeS,
  lcpRun,
  lcpStructure,
  messageS,
  placeLcp,
  type ProfiledModel,
} from '../../src/strategy/lcp/index.js';
import { parseDeviceSpec } from '../../src/strategy/plan/devices.js';
import { zooModelPath } from '../../src/zoo/manifest.js';

const catalog = loadDeviceCatalog();
let link: LinkSpec;
const models: Record<string, ProfiledModel> = {};
beforeAll(async () => {
  link = loadLinkCatalog().get('wifi-rpi3bplus');
  for (const m of ['lcp-original', 'lcp-split2', 'lcp-split4', 'lcp-split8'])
    models[m] = await profileModelFile(zooModelPath(m));
});

const structure = (m: string) => lcpStructure(models[m].graph, models[m].profile);

describe('the seed Wi-Fi link and the rpi3bplus device are in the catalogs with sources', () => {
  it('wifi-rpi3bplus: 62.24 Mb/s, 8.83 ms (LCP seed Sec. IV-B)', () => {
    expect(link.throughputBps).toBeCloseTo(62.24e6, 0);
    expect(link.latencyS).toBeCloseTo(8.83e-3, 9);
    expect(link.sources.throughputBps).toMatch(/LCP seed .*IV-B/);
    expect(catalog.get('rpi3bplus').sources.sramBytes).toMatch(/LCP seed .*Table IV/);
  });
});

describe('LCP placement', () => {
  it('one branch per device when there are enough, packed two per device otherwise', () => {
    const four = parseDeviceSpec('rpi3bplusx4', catalog);
    expect(placeLcp(structure('lcp-split4'), four, link).devices.map((d) => d.branches)).toEqual([
      [0],
      [1],
      [2],
      [3],
    ]);
    expect(placeLcp(structure('lcp-split8'), four, link).devices.map((d) => d.branches.length)).toEqual([
      2, 2, 2, 2,
    ]);
    const two = placeLcp(structure('lcp-split2'), four, link);
    expect(two.devices.filter((d) => d.branches.length).length).toBe(2);
    expect(two.devices[two.classifierDevice].branches.length).toBe(1);
  });

  it('the largest branch goes to the fastest device', () => {
    const mixed = parseDeviceSpec('rpi3bplusx1,rpi4bx1', catalog);
    const s = structure('lcp-split2');
    const big = { ...s, branches: [s.branches[0], { ...s.branches[1], macs: s.branches[1].macs * 3 }] };
    expect(placeLcp(big, mixed, link).branchDevice).toEqual([0, 1]);
  });

  it('latency of 2 branches on 2 devices follows the broadcast, gather and classifier steps', () => {
    const s = structure('lcp-split2');
    const devs = parseDeviceSpec('rpi3bplusx2', catalog);
    const spec = devs[0].spec;
    const b = s.branches[0];
    const tIn = messageS(link, s.inputBytes);
    const branchS = computeS(spec, b.macs, b.ops);
    const r = lcpRun(s, devs, [0, 1], 1, link);
    // device 0 finishes at tIn + branch, device 1 at 2 tIn + branch; device 0's features then travel to device 1
    const gathered = Math.max(tIn + branchS + messageS(link, b.outputBytes), 2 * tIn + branchS);
    const want =
      gathered +
      computeS(spec, s.classifier.macs, s.classifier.ops) +
      messageS(link, s.classifier.outputBytes);
    expect(r.latencyS).toBeCloseTo(want, 12);
    expect(r.bytes).toBe(2 * s.inputBytes + b.outputBytes + s.classifier.outputBytes);
    expect(r.messages).toBe(4);
  });

  it('refuses a branch no device can hold, saying how much is free', () => {
    const devs = parseDeviceSpec('esp32x1', catalog);
    const s = structure('lcp-split2');
    const huge = { ...s, branches: s.branches.map((b) => ({ ...b, weightBytes: 1e12 })) };
    let err: unknown;
    try {
      placeLcp(huge, devs, link);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdgesplitError);
    expect((err as EdgesplitError).message).toMatch(
      /branch \d .* fits on no device; the most weight memory left is \d+ B/,
    );
  });
});

describe('compareLcp: LCP vs model and data parallelism of lcp-original on 4 rpi3bplus over the seed Wi-Fi', () => {
  it('bytes per inference follow the documented accounting', () => {
    const c = compareLcp(
      models['lcp-split4'],
      models['lcp-original'],
      parseDeviceSpec('rpi3bplusx4', catalog),
      link,
    );
    expect(c.rows.map((r) => r.distribution)).toEqual([...DISTRIBUTIONS]);
    const by = Object.fromEntries(c.rows.map((r) => [r.distribution, r]));
    // 4 inputs of 3,136 B, 3 of the 4 branch outputs (64 B) travel, logits (40 B) back
    expect(by.lcp.bytes).toBe(4 * 3136 + 3 * 64 + 40);
    expect(by['pipeline-balanced'].bytes).toBe(3136 + 25088 + 12544 + 256 + 40);
    expect(by['intra-layer'].bytes).toBe(134696);
    expect(by.lcp.bytes).toBeLessThan(by['pipeline-balanced'].bytes);
    expect(by.lcp.bytes).toBeLessThan(by['intra-layer'].bytes);
    expect(by['data-parallel'].latencyS).toBeNull();
    expect(by['data-parallel'].throughputPerS).toBeGreaterThan(by['single-device'].throughputPerS);
    expect(c.rows.every((r) => r.fitsMemory)).toBe(true);
  });

  it('the fastest pipeline is never slower (throughput) than the MAC-balanced one', () => {
    for (const n of [2, 4, 8]) {
      const c = compareLcp(
        models['lcp-split2'],
        models['lcp-original'],
        parseDeviceSpec(`rpi3bplusx${n}`, catalog),
        link,
      );
      const [, balanced, fastest] = c.rows;
      expect(fastest.throughputPerS).toBeGreaterThanOrEqual(balanced.throughputPerS * (1 - 1e-12));
    }
  });
});
