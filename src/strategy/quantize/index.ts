/** Precision simulation: number formats, their reference arithmetic, and the ONNX graph rewrite. */
export * from './formats.js';
export * from './fake-quant.js';
export * from './targets.js';
export * from './transform.js';
export * from './calibrate.js';
export * from './quantize-model.js';
