/**
 * The self-contained HTML design-space report (inline SVG plots, no scripts, no external resources)
 * and the CSV of every sweep point. Pure string building.
 */
import type { DeviceSpec, LinkSpec } from '../catalog/schema.js';
import type { ExplorePoint, ExploreResult } from '../strategy/split/explore.js';
import type { SplitResult } from '../strategy/split/distnn.js';
import type { PrecisionPoint } from '../strategy/split/precision-space.js';
import {
  cutLabel,
  fmtCount,
  fmtEnergy,
  fmtPower,
  fmtTime,
  precisionFrontRows,
  PRECISION_FRONT_COLUMNS,
} from './format.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function precisionSection(input: ReportInput): string {
  const pr = input.precision;
  if (!pr) return '';
  const rows = precisionFrontRows(pr.points);
  return `<h2>Pareto front: node energy vs ${escapeHtml(pr.metric)} (split point and number format together)</h2>
<p class="muted">Every cut that fits, at every weight/feature-map format: the model with that node side quantised, run through onnxruntime on ${pr.images} calibration images; E_node at the format's bit widths. The black step line is the front.</p>
<div class="chart">${pr.svg}</div>
${table(
  [...PRECISION_FRONT_COLUMNS, pr.metric],
  rows.map((r) => r.map(escapeHtml)),
  4,
)}
`;
}

/** Columns of the CSV, in order. */
export const CSV_COLUMNS: readonly (keyof ExplorePoint)[] = [
  'node',
  'link',
  'bits',
  'cut',
  'after',
  'op',
  'dvBits',
  'wireBits',
  'ccMacs',
  'dvCcMerit',
  'nodeEnergyJ',
  'nodeComputeJ',
  'commJ',
  'latencyS',
  'nodeAvgPowerW',
  'fits',
  'sustainsFps',
  'chosen',
  'pareto',
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180) of every sweep point, one row per (node, link, bits, cut). */
export function pointsCsv(points: readonly ExplorePoint[]): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...points.map((p) => CSV_COLUMNS.map((c) => csvCell(p[c])).join(',')),
  ];
  return `${lines.join('\n')}\n`;
}

/** Inputs of {@link reportHtml}. */
export interface ReportInput {
  readonly modelPath: string;
  readonly result: ExploreResult;
  readonly nodes: readonly DeviceSpec[];
  readonly links: readonly LinkSpec[];
  readonly hub: DeviceSpec;
  /** Rendered SVGs. */
  readonly svgs: { readonly layers: string; readonly pareto: string; readonly breakdown: string };
  readonly paretoSampled: boolean;
  /** The configuration drawn in the layer chart. */
  readonly layerConfig: SplitResult;
  /** Why that configuration was drawn. */
  readonly layerConfigNote: string;
  /** File names of the CSV and JSON written next to the report. */
  readonly csvName: string;
  readonly jsonName: string;
  readonly generatedAt: string;
  /** The precision design space (explore --precisions): its chart and front. */
  readonly precision?: {
    readonly svg: string;
    readonly metric: string;
    readonly images: number;
    readonly points: readonly PrecisionPoint[];
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[], numericFrom = 0): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i >= numericFrom && /^[-\d.]/.test(c) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function verdictBadges(r: SplitResult): string {
  return r.conditions
    .map(
      (c) =>
        `<span class="badge ${c.verdict}" title="${escapeHtml(`${c.statement}: ${c.detail}`)}">${escapeHtml(c.verdict)}</span>`,
    )
    .join(' ');
}

function configRows(configs: readonly SplitResult[]): string[][] {
  return configs.map((r) => [
    escapeHtml(r.node),
    escapeHtml(r.link),
    String(r.bits),
    escapeHtml(r.best.cut === 0 ? cutLabel(0, '') : `${cutLabel(r.best.cut, r.best.after)} (${r.best.op})`),
    fmtEnergy(r.best.nodeEnergyJ),
    fmtEnergy(r.best.estimate.nodeCompute.energyJ),
    fmtEnergy(r.best.estimate.transfer.energyJ),
    fmtTime(r.best.estimate.latencyS),
    fmtPower(r.best.estimate.nodeAvgPowerW) +
      (r.best.estimate.sustainsFps ? '' : ' <span class="warn">(misses fps)</span>'),
    r.disagreement
      ? `<span class="warn" title="${escapeHtml(r.disagreement)}">DV x CC: cut ${r.bestDvCc?.cut}</span>`
      : 'agree',
    verdictBadges(r),
  ]);
}

function sourcesSection(nodes: readonly DeviceSpec[], hub: DeviceSpec, links: readonly LinkSpec[]): string {
  const entries: [string, Record<string, string>, string][] = [
    ...[...nodes, ...(nodes.some((n) => n.id === hub.id) ? [] : [hub])].map(
      (d) => [d.id, d.sources, d.origin] as [string, Record<string, string>, string],
    ),
    ...links.map((l) => [l.id, l.sources, l.origin] as [string, Record<string, string>, string]),
  ];
  const rows = entries.flatMap(([id, sources, origin]) =>
    Object.entries(sources).map(([field, src]) => [
      escapeHtml(id),
      escapeHtml(field),
      escapeHtml(src),
      escapeHtml(origin.split('/').slice(-2).join('/')),
    ]),
  );
  return table(['entry', 'field', 'source', 'catalog file'], rows, 99);
}

const CSS = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1360px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p, li { font-size: 13px; line-height: 1.45; } .muted { color: #666; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; } th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 11px; color: white; }
.badge.holds { background: #2e7d32; } .badge.weak { background: #c77c02; } .badge.fails { background: #c62828; }
.warn { color: #b35c00; } .chart { margin: 10px 0 18px; overflow-x: auto; } .chart svg { max-width: 100%; height: auto; }
`;

/** The whole report page. */
export function reportHtml(input: ReportInput): string {
  const { result: res, layerConfig: lc } = input;
  const byEnergy = [...res.configs].sort((a, b) => a.best.nodeEnergyJ - b.best.nodeEnergyJ);
  const best = byEnergy[0];
  const front = res.points.filter((p) => p.pareto).sort((a, b) => a.latencyS - b.latencyS);
  const frontRows = front.map((p) => [
    escapeHtml(p.node),
    escapeHtml(p.link),
    String(p.bits),
    escapeHtml(cutLabel(p.cut, p.after)),
    fmtEnergy(p.nodeEnergyJ),
    fmtTime(p.latencyS),
    fmtPower(p.nodeAvgPowerW),
    fmtCount(p.wireBits),
  ]);
  const bitsShown = res.configs[0].bits;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>edgesplit explore: ${escapeHtml(input.modelPath)}</title>
<style>${CSS}</style></head><body>
<h1>Design-space report: ${escapeHtml(input.modelPath)}</h1>
<p class="muted">edgesplit explore, ${escapeHtml(input.generatedAt)}. Hub ${escapeHtml(res.hub)}; nodes ${escapeHtml(input.nodes.map((n) => n.id).join(', '))};
links ${escapeHtml(input.links.map((l) => l.id).join(', '))}; activation bits ${escapeHtml([...new Set(res.configs.map((c) => c.bits))].join(', '))};
${res.weightBits}-bit weights; ${res.fps} fps; memory overhead ${res.memoryOverhead} on per-MAC energies.
${res.configs.length} configurations, ${res.points.length} points. Every point: <a href="${escapeHtml(input.csvName)}">${escapeHtml(input.csvName)}</a>, <a href="${escapeHtml(input.jsonName)}">${escapeHtml(input.jsonName)}</a>.</p>
<p>Lowest node energy: <b>${escapeHtml(best.node)}</b> over <b>${escapeHtml(best.link)}</b> at ${best.bits} bits, ${escapeHtml(cutLabel(best.best.cut, best.best.after))}:
E_node ${fmtEnergy(best.best.nodeEnergyJ)} per frame, latency ${fmtTime(best.best.estimate.latencyS)}, node power ${fmtPower(best.best.estimate.nodeAvgPowerW)}.
The Pareto front of node energy vs latency has ${front.length} point(s).</p>

<h2>Chosen cut per configuration</h2>
<p class="muted">Chosen = lowest E_node = MACs_node &times; E_mac &times; (1 + overhead) + bits &times; E_bit among cuts whose weights and activations fit the node.
Conditions (DistNN III-C, hover for numbers): E_node &lt;&lt; E_hub, E_node(split) &lt;&lt; E_node(all on node), E_comm &lt; saved compute; "&lt;&lt;" means 10&times;.</p>
${table(['node', 'link', 'bits', 'chosen cut', 'E_node', 'compute', 'comm', 'latency', `node power @ ${res.fps} fps`, 'merits', 'conditions'], configRows(res.configs), 4)}

<h2>Per-layer data volume and computation (DistNN Fig. 5/8)</h2>
<p class="muted">Configuration: ${escapeHtml(lc.node)} &rarr; ${escapeHtml(lc.hub)} over ${escapeHtml(lc.link)} at ${lc.bits} bits (${input.layerConfigNote}).
Bars are per layer: DV = output bits at ${lc.bits} bits, CC = MACs. Red marks the last layer on the node at the chosen ${escapeHtml(cutLabel(lc.best.cut, lc.best.after))}.
The bottom panel is E_node if the model were cut after each layer.</p>
<div class="chart">${input.svgs.layers}</div>

<h2>Pareto front: node energy vs latency</h2>
<p class="muted">Every cut that fits its node, for every node, link and bit width; the black step line is the Pareto front.${input.paretoSampled ? ' Too many points to draw: the front, the chosen cuts and a regular sample are drawn; the CSV has all.' : ''}</p>
<div class="chart">${input.svgs.pareto}</div>
${table(['node', 'link', 'bits', 'cut', 'E_node', 'latency', 'node power', 'bits sent'], frontRows, 4)}

${precisionSection(input)}
<h2>Energy by protocol</h2>
<p class="muted">At the chosen cut of each node and link, ${bitsShown}-bit activations.</p>
<div class="chart">${input.svgs.breakdown}</div>

<h2>Where the numbers come from</h2>
${sourcesSection(input.nodes, input.hub, input.links)}
</body></html>
`;
}
