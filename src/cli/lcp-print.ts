/** Text output of `edgesplit lcp` (split, table, plan, compare); the numbers come from the library. */
import type { DagPlanFile } from '../plan/lcp-plan.js';
import { fmtEnergy, fmtTime } from '../report/format.js';
import type { LcpCompareResult } from '../runtime/lcp-compare.js';
import {
  DISTRIBUTION_LABELS,
  lcpPeakActivationBytes,
  type LcpComparison,
  type LcpSplitResult,
} from '../strategy/lcp/index.js';
import type { LcpTable } from '../zoo/lcp-table.js';
import { fmtBytes, fmtInt, formatTable } from './output.js';

const x = (n: number) => `${n.toFixed(2)}x`;

/** `lcp split`: the fit loop, per-part counts and the communication accounting. */
export function printSplit(r: LcpSplitResult, out: string): void {
  const s = r.structure;
  const lines: string[] = [];
  lines.push(
    `LCP split of ${r.original.model}: ${r.branches} branch(es), division factor ${r.divisionFactor}, fattening ${r.fattenPercent}%, seed ${r.seed} -> ${out}`,
  );
  if (r.fit) {
    lines.push(`fitting one branch on ${r.fit.device} (seed Procedure 1):`);
    for (const st of r.fit.steps)
      lines.push(
        `  ${st.branches} branch(es): weights ${fmtBytes(st.weightBytes)} / ${fmtBytes(st.weightBytesAvailable)}, activations ${fmtBytes(st.activationBytes)} / ${fmtBytes(st.activationBytesAvailable)}, compute ${fmtTime(st.computeS)} -> ${st.fits ? 'fits' : 'does not fit'}`,
      );
  }
  const row = (
    name: string,
    p: { params: number; macs: number; peakActivationBytes: number; outputBytes: number },
  ) => [name, fmtInt(p.params), fmtInt(p.macs), fmtInt(p.peakActivationBytes), fmtInt(p.outputBytes)];
  const total = r.profile.totals;
  const o = r.original;
  const rows = [
    ...s.branches.map((b, i) => row(`branch ${i}`, b)),
    row('gather + classifier', s.classifier),
    ['LCP total', fmtInt(total.params), fmtInt(total.macs), fmtInt(lcpPeakActivationBytes(r)), ''],
    ['original', fmtInt(o.params), fmtInt(o.macs), fmtInt(o.peakActivationBytes), ''],
  ];
  lines.push('');
  lines.push(formatTable(['part', 'params', 'MACs', 'peak act. B', 'output B'], rows));
  lines.push(
    `LCP has ${x(o.params / total.params)} fewer params and ${x(o.macs / total.macs)} fewer MACs than the original`,
  );
  const c = r.communication;
  const cut = c.pipeline.stages.slice(0, -1).map((st) => fmtInt(st.sendBytes));
  const last = c.pipeline.stages[c.pipeline.stages.length - 1];
  const gathers = c.intraLayer.exchanges.reduce((a, e) => a + e.bytes, 0);
  lines.push('');
  lines.push(
    `communication per inference at ${c.devices} device(s), 32-bit activations, input at and result back to one source:`,
  );
  lines.push(
    formatTable(
      ['scheme', 'bytes', 'counted as'],
      [
        [
          'LCP',
          fmtInt(c.lcp.totalBytes),
          `input to ${c.devices} branch(es) ${fmtInt(c.lcp.inputBroadcastBytes)} + pre-final gather ${fmtInt(c.lcp.gatherBytes)}`,
        ],
        [
          `pipeline, ${c.pipeline.stages.length} MAC-balanced stages`,
          fmtInt(c.pipeline.totalBytes),
          `input ${fmtInt(c.pipeline.stages[0].recvBytes)} + cuts [${cut.join(', ')}] + output ${fmtInt(last.sendBytes)}`,
        ],
        [
          'intra-layer output split (Fig. 4)',
          fmtInt(c.intraLayer.totalBytes),
          `input ${fmtInt(c.intraLayer.inputBroadcastBytes)} + ${c.intraLayer.exchanges.length} all-gathers ${fmtInt(gathers)} + output ${fmtInt(c.intraLayer.outputBytes)}`,
        ],
      ],
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `lcp table`: the zoo variants' accuracy and counts. */
export function printTable(t: LcpTable): void {
  const rows = t.rows.map((r) => [
    r.model,
    r.accuracy.toFixed(4),
    r.model === 'lcp-original' ? '-' : r.accuracyDeltaPoints.toFixed(2),
    fmtInt(r.params),
    fmtInt(r.macs),
    x(r.fewerParams),
    x(r.fewerMacs),
  ]);
  process.stdout.write(
    `LCP zoo variants on ${t.dataset} (${fmtInt(t.samples)} images, onnxruntime-node):\n` +
      `${formatTable(['model', 'accuracy', 'vs original (points)', 'params', 'MACs', 'fewer params', 'fewer MACs'], rows)}\n`,
  );
}

/** `lcp plan`: the stages written. */
export function printLcpPlan(plan: DagPlanFile, lcpPath: string, out: string): void {
  console.log(
    `LCP plan of ${lcpPath}: ${plan.source.branches} branch(es) on ${plan.stages.length} stage(s), DAG over ${plan.link} -> ${out}`,
  );
  console.log(
    formatTable(
      ['stage', 'devices', 'runs', 'reads', 'sends', 'MACs'],
      plan.stages.map((st) => [
        st.id,
        st.devices.map((d) => d.name).join(', '),
        [
          st.branches.length ? `branches ${st.branches.join(', ')}` : '',
          st.classifier ? 'gather + classifier' : '',
        ]
          .filter(Boolean)
          .join(' + '),
        st.inputs.map((t) => t.name).join(', '),
        st.outputs.map((t) => t.name).join(', '),
        fmtInt(st.macs),
      ]),
    ),
  );
  const p = plan.predicted;
  console.log(
    `modelled: ${fmtInt(p.bytes)} B/inference, latency ${p.latencyS === null ? '-' : fmtTime(p.latencyS)}, ${p.throughputPerS.toFixed(1)}/s, ${fmtEnergy(p.energyJ)}/inference; run it with: edgesplit run ${out}`,
  );
}

function printModelled(c: LcpComparison, linkDesc: string): void {
  const lines: string[] = [];
  lines.push(
    `MODELLED (cost model, not measured): ${c.structure.model} vs the original on ${c.devices.join(', ')} over ${linkDesc}`,
  );
  lines.push(
    `LCP placement (classifier device chosen for ${c.objective}): ` +
      c.placement.devices
        .filter((d) => d.branches.length || d.classifier)
        .map(
          (d) =>
            `${d.name}: ${[...(d.branches.length ? [`branches ${d.branches.join(',')}`] : []), ...(d.classifier ? ['gather + classifier'] : [])].join(' + ')}`,
        )
        .join('; '),
  );
  for (const [kind, st] of Object.entries(c.pipelineStages))
    lines.push(
      `pipeline (${kind}) stages, node ranges: ${st.map((s, i) => `${c.devices[i]} [${s.start},${s.end})`).join(', ')}`,
    );
  const rows = c.rows.map((r) => [
    DISTRIBUTION_LABELS[r.distribution],
    r.model,
    String(r.devicesUsed),
    fmtInt(r.bytes),
    String(r.messages),
    r.latencyS === null ? '-' : `${(r.latencyS * 1e3).toFixed(2)} ms`,
    `${r.throughputPerS.toFixed(1)}/s`,
    fmtEnergy(r.energyJ),
    r.fitsMemory ? 'yes' : 'NO',
  ]);
  lines.push('');
  lines.push(
    formatTable(
      [
        'distribution',
        'model',
        'devices',
        'bytes/inf',
        'messages',
        'latency',
        'throughput',
        'energy/inf',
        'fits',
      ],
      rows,
    ),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printMeasured(r: LcpCompareResult): void {
  const rows = r.measured ?? [];
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  console.log(
    `\nMEASURED (node processes, emulated devices and link, ${r.run!.limit} images per run, time scale ${r.run!.timeScale}; latency with one image in flight, the rest with the default window; bytes: every frame with its header, the coordinator's included; energy: the cost model on the measured bytes; the intra-layer row is payload accounting, not run):`,
  );
  console.log(
    formatTable(
      [
        'distribution',
        'model',
        'devices',
        'bytes/inf',
        'between devices',
        'latency mean',
        'p99',
        'max',
        'throughput',
        'energy/inf',
        'accuracy',
        'lost',
      ],
      rows.map((m) => [
        m.label,
        m.model,
        String(m.devices),
        fmtInt(Math.round(m.bytesPerInference)),
        fmtInt(Math.round(m.deviceBytesPerInference)),
        m.latencyMs ? ms(m.latencyMs.mean) : '-',
        m.latencyMs ? ms(m.latencyMs.p99) : '-',
        m.latencyMs ? ms(m.latencyMs.max) : '-',
        m.throughputPerS === null ? '-' : `${m.throughputPerS.toFixed(1)}/s`,
        m.energyPerInferenceJ === null ? '-' : fmtEnergy(m.energyPerInferenceJ),
        m.accuracy === null ? '-' : m.accuracy.toFixed(4),
        m.run ? String(m.lost) : '-',
      ]),
    ),
  );
}

/** `lcp compare`: the modelled table, then the measured one when it ran. */
export function printCompare(r: LcpCompareResult, linkDesc: string): void {
  printModelled(r.modelled, linkDesc);
  if (r.measured) printMeasured(r);
}
