import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/build.js';
import { resnet } from '../../src/graph/builder/architectures.js';
import { decodeModel, encodeModel, loadModelFile, saveModelFile } from '../../src/onnx/io.js';
import { onnx } from '../../src/onnx/proto.js';
import { profileModelFile } from '../../src/profile/index.js';
import { writeTempModel } from '../helpers/models.js';

describe('ONNX I/O', () => {
  it('load -> save -> load gives an identical model and graph', async () => {
    const path = writeTempModel(resnet({ seed: 3 }));
    const a = await loadModelFile(path);
    const out = join(dirname(path), 'copy.onnx');
    await saveModelFile(out, a);
    const b = await loadModelFile(out);
    expect(onnx.ModelProto.toObject(b, { longs: String, bytes: Array })).toEqual(
      onnx.ModelProto.toObject(a, { longs: String, bytes: Array }),
    );
    expect(Buffer.from(encodeModel(b)).equals(Buffer.from(encodeModel(a)))).toBe(true);
    const ga = buildGraph(a);
    const gb = buildGraph(b);
    expect(gb.nodes).toEqual(ga.nodes);
    expect([...gb.values.entries()]).toEqual([...ga.values.entries()]);
  });

  it('saves into a directory it creates, and names the file when it cannot write it', async () => {
    const path = writeTempModel(resnet({ seed: 3 }));
    const a = await loadModelFile(path);
    const nested = join(dirname(path), 'new', 'dir', 'q.onnx');
    await saveModelFile(nested, a);
    expect(Buffer.from(encodeModel(await loadModelFile(nested))).equals(Buffer.from(encodeModel(a)))).toBe(
      true,
    );
    // a regular file where a directory should be
    const under = join(path, 'q.onnx');
    await expect(saveModelFile(under, a)).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringContaining(`${under}: cannot write model file`),
    });
  });

  it('profiles a model with external data without its data file', async () => {
    const path = writeTempModel(resnet({ seed: 3, externalDataFile: 'resnet8.weights' }));
    const weights = join(dirname(path), 'resnet8.weights');
    expect(existsSync(weights)).toBe(false);
    const { profile, graph } = await profileModelFile(path);
    expect([...graph.initializers.values()].some((i) => i.external)).toBe(true);
    const inline = buildGraph(resnet({ seed: 3 }));
    expect(profile.totals.params).toBeGreaterThan(70_000);
    expect(profile.nodes.length).toBe(inline.nodes.length);
    expect(existsSync(weights)).toBe(false);
  });

  it('names the source in decode errors', () => {
    expect(() => decodeModel(new Uint8Array([0x08, 0x07, 0x12]), 'x.onnx')).toThrow(
      /x\.onnx: not a valid ONNX model/,
    );
    expect(() => decodeModel(new Uint8Array(), 'empty.onnx')).toThrow(/empty\.onnx: empty file/);
  });

  it('reports a missing file by path', async () => {
    await expect(loadModelFile('/nonexistent/m.onnx')).rejects.toThrow(/\/nonexistent\/m\.onnx: cannot read/);
  });
});
