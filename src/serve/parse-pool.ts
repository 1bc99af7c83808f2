/**
 * Worker threads that parse large JSON inference requests, so a big or hostile body never blocks the
 * event loop that answers health probes and small requests. Small bodies are parsed inline (a worker
 * round trip would cost more than the parse).
 */
import { Worker } from 'node:worker_threads';
import { scanJsonLimits } from './json-guard.js';
import { ProtocolError } from './protocol-error.js';
import {
  parseInferRequest,
  type ModelSignature,
  type ParsedInferRequest,
  type ServeLimits,
} from './protocol.js';
import type { ParseJob } from './parse-worker.js';

/** Bodies from this size on (JSON part, bytes) are parsed in a worker. */
export const WORKER_PARSE_BYTES = 64 * 1024;

interface Waiting {
  resolve(p: ParsedInferRequest): void;
  reject(e: unknown): void;
}

/**
 * Starts one parse worker: the built `.js` next to this file, or under tsx/vitest (this file is
 * `.ts`) the `.ts` source through tsx's ESM loader, registered inside the worker.
 */
function startWorker(): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./parse-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
  if (!ts) return new Worker(entry);
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true });
}

/** The bytes in a buffer of their own (transferable as is), copied only when they share one. */
function owned(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
}

/** A fixed pool of parse workers, started lazily and handed jobs round-robin. */
export class ParsePool {
  private workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private turn = 0;

  constructor(private readonly size: number) {}

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const w = startWorker();
      w.unref();
      w.on(
        'message',
        (m: { id: number; parsed?: ParsedInferRequest; error?: { status: number; message: string } }) => {
          const job = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          if (!job) return;
          if (m.error) job.reject(new ProtocolError(m.error.status, m.error.message));
          else job.resolve(m.parsed!);
        },
      );
      w.on('error', (err) => {
        for (const [, job] of this.waiting) job.reject(err);
        this.waiting.clear();
        this.workers = this.workers.filter((x) => x !== w);
      });
      this.workers.push(w);
      return w;
    }
    return this.workers[this.turn++ % this.workers.length];
  }

  /** Parses a request: inline when the JSON part is small, else in a worker. */
  parse(
    json: Uint8Array,
    binary: Uint8Array,
    signature: ModelSignature,
    limits: ServeLimits,
  ): Promise<ParsedInferRequest> {
    if (json.length < WORKER_PARSE_BYTES || this.size === 0) {
      try {
        return Promise.resolve(parseInferRequest(json, binary, signature, limits));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    try {
      // a prefix violating the limits violates them overall: bombs are refused without a worker hop
      scanJsonLimits(json.subarray(0, WORKER_PARSE_BYTES), limits, 'inference request');
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.nextId++;
    const job: ParseJob = { id, json: owned(json), binary: owned(binary), signature, limits };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker().postMessage(job, [job.json.buffer as ArrayBuffer, job.binary.buffer as ArrayBuffer]);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
