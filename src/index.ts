/** Public API of edgesplit; re-exports only, no side effects. */
export * from './core/errors.js';
export * from './core/tensor.js';
export type { InferenceBackend, InferenceSession, LoadOptions } from './backend/backend.js';
export * from './catalog/index.js';
export * from './cost/index.js';
