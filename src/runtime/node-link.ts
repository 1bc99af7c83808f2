/**
 * The coordinator's connection to one node: request/reply by id over control frames, clock-offset
 * estimation, and dispatch of the frames the node sends back (results, timelines).
 */
import { EdgesplitError, errorMessage } from '../core/errors.js';
import type { MessageFrame, TensorFrame } from '../transport/codec/frame.js';
import type { Connection } from '../transport/transport.js';
import { estimateOffset, nowMs, type ClockOffset, type ClockSample } from './clock.js';
import {
  MODEL_TENSOR_NAME,
  controlFrame,
  healthSchema,
  opOf,
  parseBody,
  replySchema,
  type HealthMessage,
  type ReplyMessage,
} from './protocol.js';
import { decodeTimeline, TIMELINE_TENSOR_NAME, type TimelineBatch } from './timeline-codec.js';

/** Where a node runs. */
export interface NodeEndpoint {
  /** Device name from the plan. */
  readonly device: string;
  /** host:port. */
  readonly address: string;
  /** Process id when the coordinator started the node. */
  readonly pid?: number;
}

/** Handlers for what a node sends on its own. */
export interface NodeLinkHandlers {
  readonly onTensor: (link: NodeLink, frame: TensorFrame) => void;
  readonly onTimeline: (link: NodeLink, batch: TimelineBatch) => void;
  readonly onClosed: (link: NodeLink, reason: string) => void;
}

const REQUEST_TIMEOUT_MS = 20_000;
/** A clock ping is answered at once by any live node. */
const CLOCK_TIMEOUT_MS = 5000;

/** One coordinator-to-node connection. */
export class NodeLink {
  /** Node clock minus coordinator clock. */
  offset: ClockOffset = { offsetMs: 0, rttMs: 0, uncertaintyMs: 0 };
  alive = true;
  /** Coordinator time of the last frame of any kind from this node (the stall watch reads it). */
  lastHeardMs = nowMs();
  /** Stage-0 nodes: the separate connection sample inputs go over. */
  data: Connection | undefined;
  /** Health as reported when the link was opened. */
  hello: HealthMessage | undefined;
  /** Where upstream nodes reach this node (its emulated-link listener when it has one). */
  peerAddress: string;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (b: MessageFrame) => void; reject: (e: Error) => void }
  >();

  constructor(
    readonly endpoint: NodeEndpoint,
    readonly stageIndex: number,
    readonly conn: Connection,
    private readonly handlers: NodeLinkHandlers,
  ) {
    this.peerAddress = endpoint.address;
    void this.readLoop();
  }

  /** Sends a request and waits for the reply with the same id; rejects on close, error reply or timeout. */
  async request(body: Record<string, unknown>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ReplyMessage> {
    const f = await this.raw({ ...body }, timeoutMs);
    const reply = parseBody(replySchema, f, this.endpoint.address);
    if (!reply.ok)
      throw new EdgesplitError(
        'E_PROTOCOL',
        `node ${this.endpoint.device} (${this.endpoint.address}) refused ${String(body.op)}: ${reply.error ?? 'no reason'}`,
      );
    return reply;
  }

  /** Sends a stage model's bytes (before its `assign`); rejects if the node has not taken them within `timeoutMs`. */
  async sendModel(model: Uint8Array, timeoutMs: number): Promise<void> {
    const sent = this.conn.send({
      type: 'tensor',
      streamId: 0,
      seq: 0,
      name: MODEL_TENSOR_NAME,
      tensor: { dtype: 'uint8', dims: [model.byteLength], data: model },
      wire: 'native',
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new EdgesplitError(
              'E_TRANSPORT',
              `node ${this.endpoint.device} (${this.endpoint.address}) did not take the stage model within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    await Promise.race([sent, late]).finally(() => clearTimeout(timer));
  }

  /** Asks for the node's health. */
  async health(timeoutMs = 5000): Promise<HealthMessage> {
    const id = this.nextId++;
    const p = this.await(id, timeoutMs, 'health');
    await this.conn.send({ type: 'health', streamId: 0, seq: 0, body: { op: 'health', id } });
    return parseBody(healthSchema, await p, this.endpoint.address);
  }

  /** Estimates the clock offset from `pings` request/reply exchanges. */
  async syncClock(pings = 8): Promise<ClockOffset> {
    const samples: ClockSample[] = [];
    for (let i = 0; i < pings; i++) {
      const t0 = nowMs();
      const r = await this.request({ op: 'clock' }, CLOCK_TIMEOUT_MS);
      const t3 = nowMs();
      if (r.nodeTimeMs !== undefined) samples.push({ t0, t1: r.nodeTimeMs, t3 });
    }
    this.offset = estimateOffset(samples);
    return this.offset;
  }

  private async raw(body: Record<string, unknown>, timeoutMs: number): Promise<MessageFrame> {
    const id = this.nextId++;
    const p = this.await(id, timeoutMs, String(body.op));
    await this.conn.send(controlFrame({ ...body, id }));
    return p;
  }

  private await(id: number, timeoutMs: number, op: string): Promise<MessageFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new EdgesplitError(
            'E_TRANSPORT',
            `node ${this.endpoint.device} (${this.endpoint.address}) did not answer ${op} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private async readLoop(): Promise<void> {
    try {
      // receive() directly, not the async iterator: one promise per frame instead of a generator's several
      for (let f = await this.conn.receive(); f; f = await this.conn.receive()) {
        this.lastHeardMs = nowMs();
        if (f.type === 'tensor') {
          if (f.name !== TIMELINE_TENSOR_NAME) this.handlers.onTensor(this, f);
          else if (f.tensor.dtype !== 'uint8')
            throw new EdgesplitError('E_PROTOCOL', `timeline frame must be uint8, got ${f.tensor.dtype}`);
          else
            this.handlers.onTimeline(
              this,
              decodeTimeline(f.tensor.data as Uint8Array, this.endpoint.address),
            );
          continue;
        }
        const op = opOf(f);
        if (op === 'reply' || op === 'health') {
          const id = (f.body as { id?: unknown }).id;
          const p = typeof id === 'number' ? this.pending.get(id) : undefined;
          if (p) {
            this.pending.delete(id as number);
            p.resolve(f);
          }
        }
      }
    } catch (err) {
      await this.conn.close(`bad frame from node: ${errorMessage(err)}`).catch(() => undefined);
    }
    const info = await this.conn.closed;
    this.alive = false;
    for (const p of this.pending.values())
      p.reject(
        new EdgesplitError(
          'E_TRANSPORT',
          `node ${this.endpoint.device} (${this.endpoint.address}) closed: ${info.reason}`,
        ),
      );
    this.pending.clear();
    this.handlers.onClosed(this, info.reason);
  }
}
