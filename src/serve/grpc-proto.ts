/**
 * The gRPC form of the v2 protocol, loaded at run time from the published .proto files in `proto/`
 * (KServe's grpc_predict_v2.proto plus Triton's ModelConfig RPC), and the one mapping between the
 * HTTP statuses the core answers with and gRPC status codes.
 */
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** Full name of the service. */
export const GRPC_SERVICE = 'inference.GRPCInferenceService';

/** proto-loader options: Triton's snake_case field names, int64 as decimal strings, enums by name. */
export const PROTO_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  arrays: true,
};

// `proto/` sits two levels above both src/serve/ and dist/serve/
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

let cached: ServiceDefinition | undefined;

/** The service definition: KServe's six RPCs and Triton's ModelConfig, all under `inference.GRPCInferenceService`. */
export function inferenceService(): ServiceDefinition {
  if (cached) return cached;
  const kserve = loadSync(`${PROTO_DIR}grpc_predict_v2.proto`, PROTO_OPTIONS)[
    GRPC_SERVICE
  ] as ServiceDefinition;
  const triton = loadSync(`${PROTO_DIR}triton_model_config.proto`, PROTO_OPTIONS)[
    GRPC_SERVICE
  ] as ServiceDefinition;
  cached = { ...kserve, ...triton };
  return cached;
}

const TO_GRPC: ReadonlyArray<readonly [number, GrpcStatus]> = [
  [400, GrpcStatus.INVALID_ARGUMENT],
  [401, GrpcStatus.UNAUTHENTICATED],
  [404, GrpcStatus.NOT_FOUND],
  [405, GrpcStatus.UNIMPLEMENTED],
  [408, GrpcStatus.DEADLINE_EXCEEDED],
  [413, GrpcStatus.RESOURCE_EXHAUSTED],
  [415, GrpcStatus.INVALID_ARGUMENT],
  [500, GrpcStatus.INTERNAL],
];

/** gRPC status code of an HTTP status the core answers with. */
export function grpcCodeOf(httpStatus: number): GrpcStatus {
  return TO_GRPC.find(([h]) => h === httpStatus)?.[1] ?? GrpcStatus.UNKNOWN;
}

/** HTTP status equivalent of a gRPC status code (the first entry of the mapping; UNKNOWN is 500). */
export function httpStatusOf(code: GrpcStatus): number {
  return TO_GRPC.find(([, g]) => g === code)?.[0] ?? 500;
}
