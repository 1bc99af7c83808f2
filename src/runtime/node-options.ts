/** What a stage node is started with, and what a running one gives back (`node.ts`). */
import type { InferenceBackend } from '../backend/backend.js';
import type { ByteDuplex, ConnectionOptions, Listener, Transport } from '../transport/transport.js';
import type { Pacer } from './pacing.js';

/** Options of `startStageNode`. */
export interface StageNodeOptions {
  readonly transport: Transport;
  readonly backend: InferenceBackend;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Key and log sink: used for every listener and connection. */
  readonly connection?: ConnectionOptions;
  /**
   * Link emulation for stage-to-stage traffic only: a second listener wrapped with it takes
   * connections from upstream nodes, and connections to downstream nodes are wrapped alike. The
   * coordinator's control connection stays a plain socket, so only the links a plan models are emulated.
   */
  readonly linkWrap?: (raw: ByteDuplex) => ByteDuplex;
  /** Catalog id of the link `linkWrap` emulates, reported in health so a coordinator can check it (default none). */
  readonly linkId?: string;
  /** Samples held ready for inference before the node stops reading its connections (default 2). */
  readonly maxReady?: number;
  /** Incomplete samples (some tensors missing) held at most (default 1024). */
  readonly maxPartial?: number;
  /** The only directory `assign.modelFile` may name a file in (default: none, model bytes must come over the connection). */
  readonly modelDir?: string;
  /**
   * Accept control operations (assign, peers, flush, shutdown, model bytes) from unauthenticated
   * connections. Default false: only a peer that proved the pre-shared key may control the node.
   */
  readonly insecure?: boolean;
  /** Log lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Paces samples to the plan's device when an assignment carries pacing (`--emulate devices`). */
  readonly pacer?: Pacer;
  /** Called after a `shutdown` request was answered and the listener closed. */
  readonly onShutdown?: () => void;
}

/** A running node. */
export interface StageNodeHandle {
  /** host:port it listens on (the coordinator connects here). */
  readonly address: string;
  /** host:port upstream nodes connect to (the emulated-link listener when there is one). */
  readonly peerAddress: string;
  readonly listener: Listener;
  /** Stops listening, closes every connection and releases the session. */
  close(): Promise<void>;
}
