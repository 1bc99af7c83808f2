/** Public API of the transport layer (re-exports only). */
export type {
  ByteDuplex,
  ByteHandlers,
  CloseInfo,
  Connection,
  ConnectionOptions,
  ConnectionStats,
  ConnectOptions,
  CreditWindow,
  Listener,
  ListenOptions,
  Transport,
  TransportLogEvent,
} from './transport.js';
export { DEFAULT_WINDOW } from './transport.js';
export { FrameError, TransportError, AuthError, type FrameErrorReason } from './errors.js';
export {
  encodeFrame,
  decodeFrame,
  readHeader,
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_TYPES,
  HEADER_BYTES,
  CRC_BYTES,
  FRAME_FLAG_NO_CRC,
  DEFAULT_FRAME_LIMITS,
  type Frame,
  type FrameType,
  type MessageFrame,
  type MessageFrameType,
  type TensorFrame,
  type WireEncoding,
  type FrameLimits,
  type FrameHeader,
  type CodecOptions,
  type JsonValue,
} from './codec/frame.js';
export { FrameDecoder, type DecodeResult } from './codec/decoder.js';
export {
  quantise,
  dequantise,
  chooseQuantParams,
  toFloat16,
  fromFloat16,
  float32ToFloat16Bits,
  float16BitsToFloat32,
  type QuantParams,
  type QuantBits,
} from './codec/quant.js';
export { FramedConnection, stderrLog } from './connection-impl.js';
export { SendCredit, ReceiveCredit, CREDITED_TYPES, type CreditGrant } from './credit.js';
export { tcpTransport, socketDuplex } from './tcp/tcp-transport.js';
export { createMemoryTransport, memoryPipe, type MemoryTransportOptions } from './memory/memory-transport.js';
export { loadKeyFile, loadKeyFromEnv, parseKey } from './auth/key-file.js';
export { rateLimitedLog, type LimitedLog, type LogLimitOptions } from './log-limit.js';
export { MIN_KEY_BYTES } from './auth/handshake.js';
export { WIRE_FEATURES, type WireFeature } from './handshake-state.js';
export {
  RecordSealer,
  RecordOpener,
  deriveRecordKeys,
  RECORD_OVERHEAD_BYTES,
  type RecordKeys,
} from './auth/record-layer.js';
export {
  emulateLink,
  resolveScheme,
  type EmulatedLink,
  type LinkEmulationOptions,
  type LinkStats,
} from './link/emulated-link.js';
export type {
  DeliveryScheme,
  DeliverySchemeSpec,
  SchemeSender,
  SchemeReceiver,
  SenderCore,
  ReceiverCore,
} from './link/scheme.js';
export { creditScheme } from './link/credit-scheme.js';
export { windowScheme } from './link/window-scheme.js';
export { Radio, type RadioSlot, type RadioStats } from './link/radio.js';
export {
  linkParamsFromSpec,
  validateLinkParams,
  payloadCapacityBytesPerS,
  LINK_DEFAULTS,
  LINK_SEQ_BYTES,
  type LinkParams,
  type LinkSpecLike,
} from './link/params.js';
