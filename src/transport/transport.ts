/**
 * The transport interface: framed, credit-flow-controlled, optionally authenticated connections.
 * Implementations: `tcp/` (node:net) and `memory/` (in-process, for tests); both pass
 * `test/transport/transport.contract.ts`. Link emulation (`link/`) plugs in through `wrap`.
 */
import type { Frame, FrameLimits } from './codec/frame.js';
import type { WireFeature } from './handshake-state.js';

/** A receive window: how much a sender may have in flight (sent but not yet consumed). */
export interface CreditWindow {
  /** Frames of type tensor/control/health/ack. */
  readonly frames: number;
  /** Encoded bytes of those frames; one frame larger than this may travel alone. */
  readonly bytes: number;
}

/** Default receive window: 16 frames, 16 MiB. */
export const DEFAULT_WINDOW: CreditWindow = { frames: 16, bytes: 16 * 1024 * 1024 };

/** What a {@link ByteDuplex} delivers incoming bytes and the end of its stream to. */
export interface ByteHandlers {
  /**
   * Incoming bytes. `borrowed`: the chunk's memory is reused once this returns, so nothing may keep
   * a view of it; only handlers that set `borrowing` get such chunks (the others get copies).
   */
  readonly data: (chunk: Buffer, borrowed?: boolean) => void;
  /** The end of the stream (error when abnormal). */
  readonly close: (error?: Error) => void;
  /** This handler takes borrowed chunks (it copies or consumes what it keeps). */
  readonly borrowing?: boolean;
}

/** A raw reliable byte stream under a connection (a socket, an in-memory pipe, or an emulated link). */
export interface ByteDuplex {
  /** Peer description for logs. */
  readonly remote: string;
  /** Writes bytes in order; resolves when the stream can take more (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /**
   * Optional: writes the concatenation of `chunks` as one write (one system call where the
   * stream allows), without concatenating them. Without it their concatenation goes to `write`.
   */
  writev?(chunks: readonly Buffer[]): Promise<void>;
  /** Starts delivery of incoming bytes and of the end of the stream (error when abnormal). */
  start(handlers: ByteHandlers): void;
  /** Flushes and closes the sending side. */
  end(): void;
  /** Closes at once. */
  destroy(error?: Error): void;
}

/** One log record; `event` is a stable name (frame-rejected, auth-refused, auth-failed, credit-violation, ...). */
export interface TransportLogEvent {
  readonly level: 'info' | 'warn' | 'error';
  readonly event: string;
  readonly remote: string;
  readonly message: string;
}

/** Options shared by both ends of a connection. */
export interface ConnectionOptions {
  /** Pre-shared key (>= 16 bytes): mutual HMAC challenge/response, then every frame HMAC-signed. */
  readonly key?: Uint8Array;
  /** Receive window this end grants its peer (partial values override {@link DEFAULT_WINDOW}). */
  readonly window?: Partial<CreditWindow>;
  /** Decoder limits (partial values override the defaults). */
  readonly limits?: Partial<FrameLimits>;
  /** Handshake must finish within this time (default 5000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** The connection closes after this many rejected frames from its peer (default 100). */
  readonly maxRejectedFrames?: number;
  /** Receives log records (default: warnings and errors go to stderr). */
  readonly log?: (event: TransportLogEvent) => void;
  /**
   * Record features this end offers or accepts on a keyed connection (default all it speaks, see
   * `WIRE_FEATURES`); [] behaves as a peer from before they existed.
   */
  readonly features?: readonly WireFeature[];
  /** Wraps the raw byte stream, e.g. with link emulation (both ends must wrap alike). */
  readonly wrap?: (raw: ByteDuplex) => ByteDuplex;
}

/** Where to connect. */
export interface ConnectOptions extends ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Give up when the peer does not accept within this time (default 10000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Where to listen and what to do with each authenticated connection. */
export interface ListenOptions extends ConnectionOptions {
  readonly host: string;
  /** 0 picks a free port (see {@link Listener.port}). */
  readonly port: number;
  /** Called once per connection after its handshake succeeded. */
  readonly onConnection: (conn: Connection) => void;
}

/** Counters of one connection. */
export interface ConnectionStats {
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly framesReceived: number;
  readonly bytesReceived: number;
  /** Credited frames currently in flight (sent, not yet reported consumed by the peer). */
  readonly inFlightFrames: number;
  readonly inFlightBytes: number;
  /** Highest in-flight counts ever observed at send time. */
  readonly maxInFlightFrames: number;
  readonly maxInFlightBytes: number;
  /** Frames waiting in this end's receive queue, and the most ever. */
  readonly queuedFrames: number;
  readonly maxQueuedFrames: number;
  /** Frames from the peer this end rejected, and error frames the peer sent about ours. */
  readonly rejectedFrames: number;
  readonly peerErrors: number;
  /** Sends waiting for credit. */
  readonly pendingSends: number;
}

/** Why a connection closed. */
export interface CloseInfo {
  readonly reason: string;
  readonly initiator: 'local' | 'peer';
  readonly error?: Error;
}

/** One framed connection. Iterating yields received tensor/control/health/ack frames in order. */
export interface Connection extends AsyncIterable<Frame> {
  readonly remote: string;
  /** True when both ends proved the pre-shared key. */
  readonly authenticated: boolean;
  /** The window the peer granted this end. */
  readonly peerWindow: CreditWindow;
  /**
   * Sends a frame. Resolves once the frame fits the peer's credit window and was handed to the
   * byte stream; await it before sending more (this is the backpressure). Rejects when closed.
   * Frames sent together (before the caller's code yields) share one write; a tensor's data is read
   * until this resolves, so do not change it before.
   */
  send(frame: Frame): Promise<void>;
  /**
   * Holds this end's small tensor frames (not nested; a no-op once closed): from now on they wait
   * and go out together, as one write (one record when keyed), at {@link uncork}. Such a send
   * resolves as soon as its frame took credit and was queued. Only frames the encoder copied the
   * tensor's data into are held (payloads up to 16 KiB on the wire), so the data may change once
   * send resolves, as without a hold; a larger one goes out as it would uncorked, with what is held.
   * Held frames go out earlier, never later: at a cap (`HOLD_MAX_FRAMES`, `HOLD_MAX_BYTES`), when a
   * send must wait for credit or for the byte stream, when any other frame is sent (control,
   * health, the transport's own credit reports, errors, close: in the callback it was sent in, as
   * without a hold) and when the connection closes. No timer: a holder that stops sending uncorks.
   */
  cork(): void;
  /** Ends the hold and writes the frames it kept, before it returns. */
  uncork(): void;
  /** The next received frame, or undefined once the connection is closed and drained. */
  receive(): Promise<Frame | undefined>;
  /** Closes gracefully: tells the peer, rejects pending sends, discards unread frames. */
  close(reason?: string): Promise<void>;
  /** Settles when the connection is closed, for whatever reason. */
  readonly closed: Promise<CloseInfo>;
  /** Current counters. */
  stats(): ConnectionStats;
}

/** A listening server. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Counters: accepted (handshake done) and refused (handshake failed) connections. */
  stats(): { readonly accepted: number; readonly refused: number; readonly open: number };
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

/** A way to make connections. */
export interface Transport {
  readonly name: string;
  listen(options: ListenOptions): Promise<Listener>;
  connect(options: ConnectOptions): Promise<Connection>;
}
