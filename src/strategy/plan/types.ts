import type { ConvGeometry } from '../../profile/conv-geometry.js';
/**
 * Vocabulary of the partition planner: the problem it solves (a profiled graph reduced to per-node
 * numbers), the devices it places stages on, and the plans it returns. Pure data, no I/O.
 */
import type { DeviceSpec, LinkSpec } from '../../catalog/schema.js';
import type { MemoryModel, Placement } from '../../core/plan-file.js';

/**
 * What a plan minimises (`throughput`: the bottleneck stage time; `energy`: the largest per-device
 * energy per sample), how spare devices are used, and what spare replicas balance: the plan.json
 * vocabulary of `src/core/plan-file.ts`.
 */
export { OBJECTIVES, type BalanceGoal, type Objective, type ReplicaMode } from '../../core/plan-file.js';
import type { BalanceGoal, Objective, ReplicaMode } from '../../core/plan-file.js';

/** One node of the problem, in topological order. */
export interface PartitionNode {
  readonly name: string;
  readonly op: string;
  readonly macs: number;
  readonly ops: number;
  /** Bytes of the weights only this node reads, at the weight bit width (shared ones are in `sharedWeights`). */
  readonly weightBytes: number;
  /**
   * Activation bytes alive while this node runs: every tensor produced before it (or a graph input)
   * and still needed at or after it, plus its own outputs. A stage holds the maximum over its nodes;
   * tensors that only pass through a stage count too, because the device must hold them to relay them.
   */
  readonly liveBytes: number;
  /** Square-kernel convolutions: geometry for MAC-unit devices (cost/mac-unit-cost). */
  readonly conv?: ConvGeometry;
}

/** A weight read by several nodes: every stage holding one of its readers carries (and is charged) a copy. */
export interface SharedWeight {
  readonly name: string;
  readonly bytes: number;
  /** Reading nodes, ascending. */
  readonly readers: readonly number[];
}

/** The planner's input: per-node costs and the bytes crossing every cut (cut k separates [0,k) from [k,n)). */
export interface PartitionProblem {
  readonly model: string;
  readonly activationBits: number;
  readonly weightBits: number;
  /**
   * How `liveBytes` was counted and what it must fit: `inplace` and `strict` check weights + runtime
   * against flash and activations against the SRAM left by the runtime (`strict`: all SRAM, as before
   * the catalog knew reservations); `seed` checks weights + runtime + largest intermediate against
   * flash, as the TinyML seed Sec. II-C does. Default `strict`.
   */
  readonly memoryModel?: MemoryModel;
  readonly nodes: readonly PartitionNode[];
  /** Weights read by more than one node. */
  readonly sharedWeights?: readonly SharedWeight[];
  /** n + 1 entries; `cutBytes[0]` is the input, `cutBytes[n]` the outputs. */
  readonly cutBytes: readonly number[];
}

/** A physical device: a unique name and its catalog entry. */
export interface PhysicalDevice {
  readonly name: string;
  readonly spec: DeviceSpec;
}

/** How fast one pair of devices talks, and where that figure came from. */
export interface PairLink {
  readonly link: LinkSpec;
  /** `rssi` when derived from a signal strength through the curve, `measured` when given, `nominal` for the catalog value. */
  readonly origin: 'rssi' | 'measured' | 'nominal';
  readonly rssiDbm?: number;
}

/** The devices available and the links between them. */
export interface DevicePool {
  /** In the user's order (the greedy baseline fills them in this order). */
  readonly devices: readonly PhysicalDevice[];
  /** Catalog link all pairs default to. */
  readonly link: LinkSpec;
  /** Link between two devices (by name); undefined when they cannot talk. Omitted: every pair uses `link`. */
  readonly pairLink?: (from: string, to: string) => PairLink | undefined;
}

/** A stage as the search produces it: a node range, a device type and a replica count. */
export interface StageShape {
  readonly start: number;
  readonly end: number;
  /** Catalog id of the device type. */
  readonly type: string;
  readonly replicas: number;
}

/** A stage with its devices and predicted costs. All times and energies are per sample. */
export interface PlannedStage {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly type: string;
  /** Physical device names; more than one means replicas that take samples in turn. */
  readonly devices: readonly string[];
  readonly macs: number;
  readonly ops: number;
  readonly weightBytes: number;
  readonly runtimeOverheadBytes: number;
  readonly activationPeakBytes: number;
  /** weights + runtime overhead (flash) + activation peak (SRAM). */
  readonly memoryBytes: number;
  /** flash + SRAM of the device type. */
  readonly memoryAvailableBytes: number;
  readonly flashBytes: number;
  readonly sramBytes: number;
  readonly recvBytes: number;
  /** Bytes sent to the next stage (0 for the last stage: results stay where they are computed). */
  readonly sendBytes: number;
  readonly computeS: number;
  readonly recvS: number;
  readonly sendS: number;
  /** Throughput of the link to the next stage (bits/s), or null for the last stage. */
  readonly sendLinkBps: number | null;
  /** (recv + compute + send) / replicas: the average time a stage spends per sample. */
  readonly cycleS: number;
  /** Compute plus send energy of one device per sample, divided among the replicas. */
  readonly energyJ: number;
}

/** Whole-plan predictions. */
export interface PlanMetrics {
  readonly devices: number;
  readonly stages: number;
  readonly throughputPerS: number;
  readonly latencyS: number;
  readonly totalBytes: number;
  readonly maxEnergyJ: number;
  /** Index of the stage with the largest cycle time. */
  readonly bottleneckStage: number;
}

/** A complete plan: stages on devices plus its predictions. */
export interface PartitionPlan {
  readonly stages: readonly PlannedStage[];
  readonly metrics: PlanMetrics;
}

/** A plan that could not be made, with the reason. */
export interface NoPlan {
  readonly infeasible: string;
}

/** One point of the Pareto listing. */
export interface ParetoEntry {
  readonly objective: Objective;
  readonly metrics: PlanMetrics;
  /** Objectives this plan is optimal for (several when optima coincide). */
  readonly optimalFor: readonly Objective[];
  /** True when another listed plan is at least as good on every metric and better on one. */
  readonly dominated: boolean;
  /** Stage boundaries (cut indices) of this plan. */
  readonly cuts: readonly number[];
}

/** Options of the planner. */
export interface PlanOptions {
  readonly objective: Objective;
  readonly replicas?: ReplicaMode;
  /** What spare replicas balance; default `energy` for the energy objective, else `throughput`. */
  readonly balance?: BalanceGoal;
  /** Also plan for every other objective and list the non-dominated results; default true. */
  readonly pareto?: boolean;
  /** On topologies, skip the joint exact search: search on the median link, then place. */
  readonly heuristic?: boolean;
}

/** The planner's answer. */
export interface PlanResult {
  readonly objective: Objective;
  readonly replicas: ReplicaMode;
  readonly balance: BalanceGoal;
  readonly plan: PartitionPlan;
  /** The seed's baseline: fill each device (in the given order) as far as it goes. */
  readonly greedy: PartitionPlan | NoPlan;
  /** Greedy's objective value over the plan's (>= 1 means the plan is better); null when greedy failed. */
  readonly gainOverGreedy: number | null;
  readonly pareto: readonly ParetoEntry[];
  /** How stages were put on physical devices. */
  readonly placement: Placement;
}
