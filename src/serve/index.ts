/** KServe / Triton Open Inference Protocol v2: server, client and codec. */
export * from './datatypes.js';
export * from './protocol.js';
export * from './signature.js';
export * from './batcher.js';
export * from './auth.js';
export * from './served-model.js';
export * from './server.js';
export * from './core.js';
export * from './http-server.js';
export * from './grpc-server.js';
export * from './model-config.js';
export * from './classification.js';
export * from './json-guard.js';
export * from './client.js';
