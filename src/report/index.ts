/** HTML design-space report, its charts and number formatting. */
export {
  energyBreakdownSpec,
  layerChartSpec,
  MAX_LAYER_BARS,
  MAX_SCATTER_POINTS,
  paretoChartSpec,
} from './charts.js';
export { cutLabel, fmtCount, fmtEnergy, fmtPower, fmtSi, fmtTime } from './format.js';
export { CSV_COLUMNS, escapeHtml, pointsCsv, reportHtml, type ReportInput } from './html.js';
export { renderSvg } from './render.js';
export {
  companionPaths,
  writeExploreReport,
  type ExploreReportFiles,
  type ExploreReportOptions,
} from './write.js';
