import type { PrecisionPoint } from '../strategy/split/precision-space.js';
/** Builds and writes the explore report: HTML with inline SVG plots, plus CSV and JSON of every point. */
import { basename, dirname, extname, join } from 'node:path';
import type { DeviceSpec, LinkSpec } from '../catalog/schema.js';
import { writeOutputFile } from '../core/output-file.js';
import type { ModelProfile } from '../profile/types.js';
import { chosenCut, type ExploreResult } from '../strategy/split/explore.js';
import { energyBreakdownSpec, layerChartSpec, paretoChartSpec, precisionChartSpec } from './charts.js';
import { pointsCsv, reportHtml } from './html.js';
import { renderSvg } from './render.js';

/** What {@link writeExploreReport} needs. */
export interface ExploreReportOptions {
  readonly htmlPath: string;
  readonly modelPath: string;
  readonly profile: ModelProfile;
  readonly result: ExploreResult;
  readonly nodes: readonly DeviceSpec[];
  readonly links: readonly LinkSpec[];
  readonly hub: DeviceSpec;
  /** Defaults to now. */
  readonly generatedAt?: string;
  /** The precision design space (explore --precisions). */
  readonly precision?: {
    readonly points: readonly PrecisionPoint[];
    readonly metric: string;
    readonly images: number;
  };
}

/** Paths written. */
export interface ExploreReportFiles {
  readonly html: string;
  readonly csv: string;
  readonly json: string;
}

/** The CSV and JSON paths next to an HTML report: `report.html` -> `report.csv`, `report.json`. */
export function companionPaths(htmlPath: string): ExploreReportFiles {
  const stem = basename(htmlPath, extname(htmlPath));
  const dir = dirname(htmlPath);
  return { html: htmlPath, csv: join(dir, `${stem}.csv`), json: join(dir, `${stem}.json`) };
}

/** Renders the charts and writes the HTML, CSV and JSON files. */
export async function writeExploreReport(o: ExploreReportOptions): Promise<ExploreReportFiles> {
  const files = companionPaths(o.htmlPath);
  const n = o.profile.nodes.length;
  // a configuration that really splits shows the node/hub boundary; fall back to the first
  const splitting = o.result.configs.find((r) => r.best.cut > 0 && r.best.cut < n);
  const layerConfig = splitting ?? o.result.configs[0];
  const layerConfigNote = splitting
    ? 'the first configuration of the sweep whose chosen cut splits the model'
    : 'the first configuration of the sweep; none splits the model';
  const pareto = paretoChartSpec(o.result);
  const [layers, paretoSvg, breakdown] = [
    await renderSvg(layerChartSpec(o.profile, layerConfig)),
    await renderSvg(pareto.spec),
    await renderSvg(energyBreakdownSpec(o.result, layerConfig.bits)),
  ];
  const html = reportHtml({
    modelPath: o.modelPath,
    result: o.result,
    nodes: o.nodes,
    links: o.links,
    hub: o.hub,
    svgs: { layers, pareto: paretoSvg, breakdown },
    paretoSampled: pareto.sampled,
    layerConfig,
    layerConfigNote,
    csvName: basename(files.csv),
    jsonName: basename(files.json),
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    ...(o.precision
      ? {
          precision: {
            ...o.precision,
            svg: await renderSvg(precisionChartSpec(o.precision.points, o.precision.metric)),
          },
        }
      : {}),
  });
  const json = {
    model: o.modelPath,
    hub: o.result.hub,
    weightBits: o.result.weightBits,
    fps: o.result.fps,
    memoryOverhead: o.result.memoryOverhead,
    chosen: o.result.configs.map((r) => ({
      ...chosenCut(r),
      disagreement: r.disagreement,
      conditions: r.conditions,
    })),
    points: o.result.points,
    ...(o.precision ? { precision: o.precision } : {}),
  };
  await writeOutputFile(files.html, html, 'report');
  await writeOutputFile(files.csv, pointsCsv(o.result.points), 'report points');
  await writeOutputFile(files.json, `${JSON.stringify(json, null, 1)}\n`, 'report data');
  return files;
}
