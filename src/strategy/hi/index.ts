/** Hierarchical inference (HI) and early-exit HI: decisions, accounting, costs, QoS search, strategy table. */
export * from './decision/index.js';
export * from './accounting.js';
export * from './costs.js';
export * from './search.js';
export * from './strategy-table.js';
export * from './plausibility.js';
