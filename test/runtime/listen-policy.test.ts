import { describe, expect, it } from 'vitest';
import { checkListenPolicy, isLoopbackHost } from '../../src/runtime/listen-policy.js';
import { isInside } from '../../src/runtime/model-dir.js';

describe('listen policy and model-dir confinement (pure)', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1'])
      expect(isLoopbackHost(h)).toBe(false);
  });
  it('refuses a keyless non-loopback listen unless insecure, and warns when insecure', () => {
    const base = { host: '0.0.0.0', port: 7000 };
    expect(() => checkListenPolicy({ ...base, keyed: false, insecure: false })).toThrow(
      /--listen 0\.0\.0\.0:7000: a node without --key listens on loopback only/,
    );
    expect(checkListenPolicy({ ...base, keyed: false, insecure: true })).toMatch(
      /anyone who can reach 0\.0\.0\.0:7000/,
    );
    expect(checkListenPolicy({ ...base, keyed: true, insecure: false })).toBeUndefined();
    expect(checkListenPolicy({ host: '127.0.0.1', port: 1, keyed: false, insecure: false })).toBeUndefined();
  });
  it('confines paths to the directory', () => {
    expect(isInside('/srv/m', '/srv/m/a.onnx')).toBe(true);
    expect(isInside('/srv/m', '/srv/m/sub/a.onnx')).toBe(true);
    expect(isInside('/srv/m', '/srv/m')).toBe(false);
    expect(isInside('/srv/m', '/srv/mx/a.onnx')).toBe(false);
    expect(isInside('/srv/m', '/etc/shadow')).toBe(false);
    expect(isInside('/srv/m', '/srv/m/../m2/a')).toBe(false);
  });
});
