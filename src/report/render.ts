/** Renders Vega-Lite specs to standalone SVG strings in Node (no browser, no network). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { EdgesplitError } from '../core/errors.js';

/** Compiles a Vega-Lite spec to Vega and renders it headless to SVG markup. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let view: vega.View | undefined;
  try {
    const vgSpec = compile(spec).spec;
    // a loader that refuses everything: the report must not reach the network or the disk
    const loader = vega.loader({ mode: 'http' });
    loader.load = () => Promise.reject(new Error('external data is disabled'));
    view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader });
    return await view.toSVG();
  } catch (err) {
    throw new EdgesplitError(
      'E_PLAN',
      `cannot render chart "${String((spec as { title?: unknown }).title ?? '')}": ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    view?.finalize();
  }
}
