/**
 * Reading plan.json content (pure): version 1 migrates to the current version, then the one schema
 * ({@link planFileSchema}) validates it; errors name the file and the field path.
 */
import { EdgesplitError } from './errors.js';
import { PLAN_VERSION, planFileSchema, type PlanFile } from './plan-file.js';

function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function fail(file: string, path: readonly PropertyKey[], msg: string): never {
  throw new EdgesplitError('E_PLAN', `${file}: ${fieldPath(path) || '(top level)'}: ${msg}`);
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * Rewrites a version 1 plan.json as version 2 (pure, JSON in and out). Version 1 had two forms: the
 * planner's (`source` and `graph{name, nodes, inputs, outputs}`, numeric stage ids) and hand-written
 * runtime plans (top-level `inputs`/`outputs` as tensor names or entries, stage ids as strings or
 * numbers, devices as names, tensor `dtype`/`shape`/`wire` defaulting to float32/[]/fp32). Both
 * become `topology: "chain"`; version 1 had no DAGs, so `topology: "dag"` is refused.
 */
export function migratePlanV1(json: Record<string, unknown>, file: string): Record<string, unknown> {
  const { topology, graph, inputs, outputs, stages, ...rest } = json;
  if (topology === 'dag') fail(file, ['topology'], '"dag" needs version 2');
  if (topology !== undefined && topology !== 'chain') fail(file, ['topology'], 'version 1 plans are chains');
  if (!Array.isArray(stages)) fail(file, ['stages'], 'expected an array of stages');
  // version 1 readers sent a tensor that is not float32 as its own bytes whatever its wire said
  const tensor = (t: unknown): unknown => {
    if (!isRecord(t)) return t;
    const full = { dtype: 'float32', shape: [], wire: 'fp32', ...t };
    return full.dtype === 'float32' ? full : { ...full, wire: 'native' };
  };
  const migrated = stages.map((s: unknown) => {
    if (!isRecord(s)) return s;
    return {
      ...s,
      id: typeof s.id === 'number' ? String(s.id) : s.id,
      ...(Array.isArray(s.inputs) ? { inputs: s.inputs.map(tensor) } : {}),
      ...(Array.isArray(s.outputs) ? { outputs: s.outputs.map(tensor) } : {}),
      ...(Array.isArray(s.devices)
        ? { devices: s.devices.map((d: unknown) => (typeof d === 'string' ? { name: d } : d)) }
        : {}),
    };
  });
  const known = new Map<string, unknown>();
  for (const s of migrated)
    if (isRecord(s))
      for (const t of [
        ...(Array.isArray(s.outputs) ? s.outputs : []),
        ...(Array.isArray(s.inputs) ? s.inputs : []),
      ])
        if (isRecord(t) && typeof t.name === 'string' && !known.has(t.name)) known.set(t.name, t);
  const io = (list: unknown, fallback: unknown): unknown => {
    const l = list ?? fallback;
    if (!Array.isArray(l)) return l;
    return l.map((t: unknown) => (typeof t === 'string' ? (known.get(t) ?? tensor({ name: t })) : tensor(t)));
  };
  const first = migrated[0];
  const last = migrated[migrated.length - 1];
  const out: Record<string, unknown> = { ...rest, version: PLAN_VERSION, topology: 'chain' };
  if (isRecord(graph)) {
    const { inputs: gi, outputs: go, ...g } = graph;
    out.inputs = io(gi, undefined);
    out.outputs = io(go, undefined);
    out.graph = g;
  } else {
    out.inputs = io(inputs, isRecord(first) ? first.inputs : undefined);
    out.outputs = io(outputs, isRecord(last) ? last.outputs : undefined);
  }
  out.stages = migrated;
  return out;
}

/**
 * Validates parsed plan.json (any supported version; version 1 is migrated first) against
 * {@link planFileSchema}. Pure. Throws `E_PLAN` naming `file` and the field path of the first
 * problem, e.g. `plan/plan.json: stages[0].sendBytes: Invalid input: expected number, received string`.
 */
export function parsePlanFile(json: unknown, file: string): PlanFile {
  if (!isRecord(json)) fail(file, [], 'plan.json must be a JSON object');
  let v = json;
  if (v.version === 1) v = migratePlanV1(v, file);
  else if (v.version !== PLAN_VERSION)
    fail(
      file,
      ['version'],
      `expected 1 or ${PLAN_VERSION} (this edgesplit's), got ${JSON.stringify(v.version)}`,
    );
  const r = planFileSchema.safeParse(v);
  if (r.success) return r.data;
  const iss = r.error.issues[0];
  if (iss.code === 'unrecognized_keys')
    fail(
      file,
      [...iss.path, iss.keys[0]],
      `unknown field${iss.keys.length > 1 ? ` (also ${iss.keys.slice(1).join(', ')})` : ''}`,
    );
  return fail(file, iss.path, iss.message);
}
