import { ThresholdDecision } from '../../src/strategy/hi/decision/threshold/threshold-decision.js';
import { runDecisionContract } from './decision-contract.js';

runDecisionContract('max-softmax threshold', () => new ThresholdDecision());
