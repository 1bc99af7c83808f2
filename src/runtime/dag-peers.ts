/** The coordinator's view of a DAG stage's downstream: each fan-out group with its live replicas' addresses. */
import type { NodeLink } from './node-link.js';
import { COORDINATOR_ADDRESS, type FanoutGroup } from './protocol.js';
import { stageRoutes, type RuntimePlan, type StageRoute } from './routes.js';

/** `{ fanout }` for an assign or peers request of a DAG stage; `{}` for a chain stage. */
export function fanoutOf(route: StageRoute, links: readonly NodeLink[]): { fanout?: FanoutGroup[] } {
  if (!route.fanout) return {};
  return {
    fanout: route.fanout.map((g) => ({
      sends: g.sends.map((x) => ({ ...x })),
      downstream:
        g.to === 'coordinator'
          ? [COORDINATOR_ADDRESS]
          : links.filter((l) => l.alive && l.stageIndex === g.to).map((l) => l.peerAddress),
    })),
  };
}

/**
 * Names of a DAG plan's hops for the run summary: hop 0 is the coordinator's scatter to the entry
 * stages, hop k + 1 what stage k sends (to every stage that reads it, or back).
 */
export function dagHopNames(plan: RuntimePlan): string[] {
  const routes = stageRoutes(plan);
  const name = (to: number | 'coordinator') =>
    to === 'coordinator' ? 'coordinator' : `stage ${plan.stages[to].id}`;
  const entries = routes.flatMap((r, k) => ((r.fromCoordinator?.length ?? 0) > 0 ? [name(k)] : []));
  return [entries.join(', '), ...routes.map((r) => (r.fanout ?? []).map((g) => name(g.to)).join(', '))];
}
