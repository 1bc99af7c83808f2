/**
 * The split autoencoder report: per model the chosen cut and why, SSIM of the pipeline and of the
 * whole quantised model, bytes per frame, node energy and power, and a PNG grid of test images
 * (input, node input, each decoder's output). Self-contained HTML, no scripts. Pure.
 */
import type { WearableRunResult } from '../zoo/wearable-run.js';
import { layerChartSpec } from './charts.js';
import { renderSvg } from './render.js';
import { fmtEnergy, fmtPower } from './format.js';
import { escapeHtml } from './html.js';
import { imageGridPng } from './png-grid.js';

/** Column labels and the PNG of {@link wearableGrid}. */
export interface WearableGrid {
  readonly columns: readonly string[];
  readonly png: Buffer;
}

/** One grid over every run: clean input, then each run's node input (when noisy) and output. */
export function wearableGrid(runs: readonly WearableRunResult[], height = 28, width = 28): WearableGrid {
  const columns = ['input'];
  for (const r of runs) {
    const noisy = r.samples.some((s) => s.fed.some((v, i) => v !== s.input[i]));
    if (noisy) columns.push(`${r.model}: noisy input`);
    columns.push(`${r.model}: decoded`);
  }
  const rows = Math.min(...runs.map((r) => r.samples.length));
  const cells = Array.from({ length: rows }, (_, i) => {
    const row = [runs[0].samples[i].input];
    for (const r of runs) {
      const s = r.samples[i];
      if (s.fed.some((v, j) => v !== s.input[j])) row.push(s.fed);
      row.push(s.output);
    }
    return row;
  });
  return { columns, png: imageGridPng(cells, { height, width, scale: 3 }) };
}

function conditionsHtml(r: WearableRunResult): string {
  const items = r.split.conditions
    .map(
      (c) => `<li><b>[${escapeHtml(c.verdict)}]</b> ${escapeHtml(c.statement)}: ${escapeHtml(c.detail)}</li>`,
    )
    .join('');
  return `<p>Energy conditions (DistNN III-C, "&lt;&lt;" = 10x) at the chosen cut of ${escapeHtml(r.model)}:</p><ul>${items}</ul>`;
}

/** The HTML page, with each model's per-layer chart (DistNN Fig. 5b/8: DV, CC, E_node and FoM per layer). */
export async function wearableHtml(runs: readonly WearableRunResult[], title: string): Promise<string> {
  const grid = wearableGrid(runs);
  const charts: string[] = [];
  for (const r of runs) {
    const p = r.profile;
    charts.push(
      `<h2>${escapeHtml(r.model)}: per-layer data volume, computation, E_node and FoM</h2>${conditionsHtml(r)}<div>${await renderSvg(layerChartSpec(p, r.split))}</div>`,
    );
  }
  const rows = runs
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.model)}</td><td>cut ${r.cut.index} after ${escapeHtml(r.cut.after)}</td><td>${escapeHtml(r.precision)}</td>` +
        `<td>${r.ssim.toFixed(4)}</td><td>${r.wholeModelSsim.toFixed(4)}</td><td>${r.payloadBytesPerFrame} B (${r.wireBytesPerFrame} B framed)</td>` +
        `<td>${fmtEnergy(r.nodeEnergyJ)}</td><td>${fmtPower(r.nodePowerW)}</td><td>${r.sustainsFps ? 'yes' : 'no'}</td><td>${escapeHtml(r.why)}</td></tr>`,
    )
    .join('\n');
  const fps = runs[0]?.fps ?? 30;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.cols{display:flex;gap:0}.cols span{display:inline-block;width:88px;font-size:11px;text-align:center}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>Node side quantised and run on a node process, decoder on a hub process, over the emulated link; ${runs[0]?.images ?? 0} test images per model.</p>
<table><tr><th>model</th><th>cut</th><th>node arithmetic</th><th>SSIM (pipeline)</th><th>SSIM (whole quantised model)</th><th>sent per frame</th><th>E_node / frame</th><th>node power at ${fps} fps</th><th>${fps} fps met</th><th>why this cut</th></tr>
${rows}</table>
<h2>Test images</h2>
<div class="cols">${grid.columns.map((c) => `<span>${escapeHtml(c)}</span>`).join('')}</div>
<img alt="input, noisy input and decoded images" src="data:image/png;base64,${grid.png.toString('base64')}">
${charts.join('\n')}
</body></html>
`;
}
