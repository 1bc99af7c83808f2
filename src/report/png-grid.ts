/** A grid of grey-scale images as a PNG (pngjs), for the split autoencoder's visual check. Pure. */
import { PNG } from 'pngjs';
import { EdgesplitError } from '../core/errors.js';

/** Options of {@link imageGridPng}. */
export interface ImageGridOptions {
  readonly height: number;
  readonly width: number;
  /** Pixel repetition (nearest neighbour); default 3. */
  readonly scale?: number;
  /** Gap between cells in output pixels; default 4 (white). */
  readonly gap?: number;
}

/** PNG bytes of `cells[row][column]`, each an H*W image with values in [0,1] (clamped). */
export function imageGridPng(cells: readonly (readonly Float32Array[])[], o: ImageGridOptions): Buffer {
  const scale = o.scale ?? 3;
  const gap = o.gap ?? 4;
  const rows = cells.length;
  const cols = Math.max(0, ...cells.map((r) => r.length));
  if (rows === 0 || cols === 0) throw new EdgesplitError('E_USAGE', 'image grid: no images');
  const cw = o.width * scale;
  const ch = o.height * scale;
  const png = new PNG({ width: cols * cw + (cols + 1) * gap, height: rows * ch + (rows + 1) * gap });
  png.data.fill(255);
  cells.forEach((row, r) =>
    row.forEach((img, c) => {
      if (img.length !== o.height * o.width)
        throw new EdgesplitError(
          'E_USAGE',
          `image grid: cell ${r},${c} has ${img.length} pixels, expected ${o.height * o.width}`,
        );
      const x0 = gap + c * (cw + gap);
      const y0 = gap + r * (ch + gap);
      for (let y = 0; y < ch; y++)
        for (let x = 0; x < cw; x++) {
          const v = img[Math.floor(y / scale) * o.width + Math.floor(x / scale)];
          const g = Math.round(255 * Math.min(1, Math.max(0, v)));
          const i = ((y0 + y) * png.width + x0 + x) * 4;
          png.data[i] = png.data[i + 1] = png.data[i + 2] = g;
          png.data[i + 3] = 255;
        }
    }),
  );
  return PNG.sync.write(png);
}
