/** HI decision modules: one interface, two implementations, shared metrics. */
export * from './decision.js';
export * from './metrics.js';
export { ThresholdDecision } from './threshold/threshold-decision.js';
export { LogisticDecision, type LogisticOptions } from './logistic/logistic-decision.js';
