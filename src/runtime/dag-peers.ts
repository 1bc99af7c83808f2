/** The coordinator's view of a DAG stage's downstream: each fan-out group with its live replicas' addresses. */
import type { NodeLink } from './node-link.js';
import { COORDINATOR_ADDRESS, type FanoutGroup } from './protocol.js';
import type { StageRoute } from './routes.js';

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
