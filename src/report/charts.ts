/**
 * Vega-Lite specifications of the design-space report: per-layer DV and CC bars with the chosen cut
 * marked (DistNN Fig. 5/8), E_node per cut, the Pareto scatter of node energy vs latency, and the
 * per-protocol energy breakdown. Pure: data in, spec objects out.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ModelProfile } from '../profile/types.js';
import type { ExplorePoint, ExploreResult } from '../strategy/split/explore.js';
import type { PrecisionPoint } from '../strategy/split/precision-space.js';
import type { SplitResult } from '../strategy/split/distnn.js';

/** Most points drawn in the Pareto scatter; beyond it only the front, chosen cuts and a regular sample are drawn. */
export const MAX_SCATTER_POINTS = 4000;
/** Above this many nodes, the layer chart shows only nodes with MACs (and the chosen one). */
export const MAX_LAYER_BARS = 60;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' as const },
};

/** Per-layer DV and CC bars (node side, hub side, chosen cut) and E_node per cut, for one configuration. */
export function layerChartSpec(profile: ModelProfile, r: SplitResult): TopLevelSpec {
  const chosenIndex = r.best.cut - 1;
  const keep =
    profile.nodes.length <= MAX_LAYER_BARS
      ? profile.nodes
      : profile.nodes.filter((n) => n.macs > 0 || n.index === chosenIndex);
  const values = keep.map((n) => {
    const side =
      n.index === chosenIndex ? 'chosen cut (last node-side layer)' : n.index < r.best.cut ? 'node' : 'hub';
    const cand = r.candidates[n.index + 1];
    return {
      layer: `${n.index} ${shortLayerName(n.name, n.op)}`,
      side,
      fom: cand.dvCcMerit,
      fomLabel: cand.dvCcMerit === null ? '' : cand.dvCcMerit.toPrecision(2),
      dvBits: Math.ceil((n.outputElements * r.bits) / 8) * 8,
      macs: n.macs,
      eNode: cand.fits ? cand.nodeEnergyJ : null,
    };
  });
  const order = values.map((v) => v.layer);
  const color = {
    field: 'side',
    type: 'nominal' as const,
    title: null,
    scale: {
      domain: ['node', 'chosen cut (last node-side layer)', 'hub'],
      range: ['#4c78a8', '#e45756', '#bab0ac'],
    },
    legend: { orient: 'top' as const, labelLimit: 320 },
  };
  const width = Math.min(1250, Math.max(700, values.length * 22));
  const x = {
    field: 'layer',
    type: 'ordinal' as const,
    sort: order,
    axis: { labelAngle: -60, labelLimit: 220, title: null },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Per-layer data volume and computation: ${r.node} -> ${r.hub} over ${r.link}, ${r.bits}-bit activations`,
    data: { values },
    config: CONFIG,
    vconcat: [
      {
        width,
        height: 150,
        mark: 'bar',
        encoding: {
          x: { ...x, axis: { ...x.axis, labels: false } },
          y: { field: 'dvBits', type: 'quantitative', title: 'DV (output bits)' },
          color,
        },
      },
      {
        width,
        height: 150,
        mark: 'bar',
        encoding: {
          x: { ...x, axis: { ...x.axis, labels: false } },
          y: { field: 'macs', type: 'quantitative', title: 'CC (MACs)' },
          color,
        },
      },
      {
        width,
        height: 150,
        layer: [
          {
            mark: { type: 'line', color: '#888' },
            encoding: {
              x: { ...x, axis: { ...x.axis, labels: false } },
              y: {
                field: 'eNode',
                type: 'quantitative',
                scale: { type: 'log' },
                axis: { format: '~s', tickCount: 5 },
                title: 'E_node if cut after (J)',
              },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 40 },
            encoding: {
              x: { ...x, axis: { ...x.axis, labels: false } },
              y: { field: 'eNode', type: 'quantitative', scale: { type: 'log' } },
              color,
            },
          },
        ],
      },
      {
        width,
        height: 170,
        transform: [{ filter: 'datum.fom !== null' }],
        layer: [
          {
            mark: { type: 'line', color: '#888' },
            encoding: {
              x,
              y: {
                field: 'fom',
                type: 'quantitative',
                scale: { type: 'log' },
                axis: { format: '~g', tickCount: 5 },
                title: 'FoM = DV x CC (normalised)',
              },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 40 },
            encoding: { x, y: { field: 'fom', type: 'quantitative', scale: { type: 'log' } }, color },
          },
          {
            mark: { type: 'text', dy: -9, fontSize: 9 },
            encoding: {
              x,
              y: { field: 'fom', type: 'quantitative', scale: { type: 'log' } },
              text: { field: 'fomLabel' },
            },
          },
        ],
      },
    ],
  };
}

/**
 * A readable label of a layer: exporters' scope paths (`/encoder/net/net.5/Gemm`) shortened to their
 * last two parts (`net.5/Gemm`); other names as they are, the op when there is no name.
 */
export function shortLayerName(name: string, op: string): string {
  if (!name) return op;
  if (!name.includes('/')) return name;
  return name.split('/').filter(Boolean).slice(-2).join('/') || op;
}

/** Node energy vs measured quality per (cut, weight/feature-map format): the precision design space. */
export function precisionChartSpec(points: readonly PrecisionPoint[], metric: string): TopLevelSpec {
  const values = points.filter((p) => p.nodeEnergyJ > 0);
  const front = values.filter((p) => p.pareto).sort((a, b) => a.nodeEnergyJ - b.nodeEnergyJ);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Node energy vs ${metric} per cut and number format`,
    config: CONFIG,
    width: 700,
    height: 360,
    layer: [
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 60, opacity: 0.8 },
        encoding: {
          x: {
            field: 'nodeEnergyJ',
            type: 'quantitative',
            scale: { type: 'log' },
            axis: { format: '~s' },
            title: 'E_node per frame (J)',
          },
          y: {
            field: 'quality',
            type: 'quantitative',
            scale: { zero: false },
            title: `${metric} (node side quantised)`,
          },
          color: { field: 'precision', type: 'nominal', title: 'format' },
          shape: { field: 'link', type: 'nominal', title: 'link' },
        },
      },
      {
        data: { values: front },
        mark: { type: 'line', color: 'black', strokeWidth: 1.5, interpolate: 'step-before' },
        encoding: {
          x: { field: 'nodeEnergyJ', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'quality', type: 'quantitative' },
        },
      },
    ],
  };
}

function scatterSample(points: readonly ExplorePoint[]): { values: ExplorePoint[]; sampled: boolean } {
  const feasible = points.filter((p) => p.fits && p.nodeEnergyJ > 0 && p.latencyS > 0);
  if (feasible.length <= MAX_SCATTER_POINTS) return { values: feasible, sampled: false };
  const must = feasible.filter((p) => p.pareto || p.chosen);
  const rest = feasible.filter((p) => !p.pareto && !p.chosen);
  const step = Math.ceil(rest.length / Math.max(1, MAX_SCATTER_POINTS - must.length));
  return { values: [...must, ...rest.filter((_, i) => i % step === 0)], sampled: true };
}

/** Node energy vs latency of every feasible point, colored by link, shaped by node, with the Pareto front. */
export function paretoChartSpec(result: ExploreResult): { spec: TopLevelSpec; sampled: boolean } {
  const { values, sampled } = scatterSample(result.points);
  const data = values.map((p) => ({
    ...p,
    kind: p.pareto ? 'Pareto front' : p.chosen ? 'chosen cut' : 'other cut',
    bitsLabel: `${p.bits}-bit`,
  }));
  const front = data.filter((p) => p.pareto).sort((a, b) => a.latencyS - b.latencyS);
  const axis = { format: '~s', tickCount: 8 };
  const x = {
    field: 'latencyS',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    axis,
    title: 'end-to-end latency per frame (s)',
  };
  const y = {
    field: 'nodeEnergyJ',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    axis,
    title: 'node energy per frame (J)',
  };
  return {
    sampled,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Node energy vs latency over cut x link x node x bits (${result.points.length} points${sampled ? `, ${data.length} drawn` : ''})`,
      config: CONFIG,
      width: 900,
      height: 480,
      layer: [
        {
          data: { values: data },
          mark: { type: 'point', filled: true, opacity: 0.55 },
          encoding: {
            x,
            y,
            color: { field: 'link', type: 'nominal', title: 'link' },
            shape: { field: 'node', type: 'nominal', title: 'node' },
            size: {
              field: 'kind',
              type: 'ordinal',
              title: null,
              sort: ['other cut', 'chosen cut', 'Pareto front'],
              scale: { domain: ['other cut', 'chosen cut', 'Pareto front'], range: [18, 70, 110] },
            },
          },
        },
        {
          data: { values: front },
          mark: { type: 'line', color: 'black', strokeWidth: 1.5, interpolate: 'step-after' },
          encoding: { x, y },
        },
        {
          data: { values: front },
          mark: { type: 'point', color: 'black', size: 120, strokeWidth: 1.5 },
          encoding: { x, y },
        },
      ],
    },
  };
}

/** Compute and communication energy at the chosen cut, and the total, per link (faceted by node) at one bit width. */
export function energyBreakdownSpec(result: ExploreResult, bits: number): TopLevelSpec {
  const values = result.configs
    .filter((r) => r.bits === bits)
    .flatMap((r) => [
      { node: r.node, link: r.link, component: 'node compute', energyJ: r.best.estimate.nodeCompute.energyJ },
      { node: r.node, link: r.link, component: 'communication', energyJ: r.best.estimate.transfer.energyJ },
      { node: r.node, link: r.link, component: 'total (E_node)', energyJ: r.best.nodeEnergyJ },
    ])
    .filter((v) => v.energyJ > 0);
  const links = [...new Set(result.configs.map((r) => r.link))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Node energy per frame at the chosen cut, by protocol (${bits}-bit activations; zero components omitted)`,
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'node', type: 'nominal', title: 'node device' } },
    spec: {
      width: Math.max(160, links.length * 48),
      height: 260,
      mark: 'bar',
      encoding: {
        x: { field: 'link', type: 'nominal', sort: links, title: 'link', axis: { labelAngle: -45 } },
        xOffset: {
          field: 'component',
          type: 'nominal',
          sort: ['node compute', 'communication', 'total (E_node)'],
        },
        y: {
          field: 'energyJ',
          type: 'quantitative',
          stack: null,
          scale: { type: 'log' },
          axis: { format: '~s', tickCount: 6 },
          title: 'energy per frame (J)',
        },
        color: {
          field: 'component',
          type: 'nominal',
          title: null,
          sort: ['node compute', 'communication', 'total (E_node)'],
          scale: { range: ['#4c78a8', '#f58518', '#54a24b'] },
          legend: { orient: 'top' },
        },
      },
    },
  };
}
