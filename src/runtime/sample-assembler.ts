/**
 * The one sample assembler and frame builder of node and coordinator (pure). A sample (or
 * micro-batch) is complete when every expected tensor of its (epoch, seq) arrived; keys are numbers
 * (epoch * 2^32 + seq), not strings, since this runs once per received tensor.
 */
import { EdgesplitError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TensorFrame, WireEncoding } from '../transport/codec/frame.js';
import { tensorFrameBytes } from './frame-size.js';

const SEQS = 2 ** 32;

/** One number for a sample's (epoch, seq): epoch * 2^32 + seq, exact for epochs below 2^21. */
export function sampleKey(epoch: number, seq: number): number {
  return epoch * SEQS + seq;
}

/** Collects the tensors of samples until each has all `expected` of them. */
export class SampleAssembler {
  private readonly partial = new Map<number, Map<string, Tensor>>();

  /**
   * `maxPartial` bounds the incomplete samples held; the oldest is evicted (and `onEvict` told)
   * when a new one would exceed it.
   */
  constructor(
    private readonly expected: number,
    private readonly maxPartial = Infinity,
    private readonly onEvict?: (epoch: number, seq: number) => void,
  ) {}

  /** Incomplete samples held. */
  get size(): number {
    return this.partial.size;
  }

  /** Adds one tensor; returns the sample's tensors by name when this one completed it. */
  add(epoch: number, seq: number, name: string, tensor: Tensor): Record<string, Tensor> | undefined {
    // a one-tensor sample is complete on arrival: no partial entry to look up, make and delete
    if (this.expected === 1) return { [name]: tensor };
    const key = sampleKey(epoch, seq);
    let got = this.partial.get(key);
    if (!got) {
      if (this.partial.size >= this.maxPartial) {
        const oldest = this.partial.keys().next().value as number;
        this.partial.delete(oldest);
        this.onEvict?.(Math.floor(oldest / SEQS), oldest % SEQS);
      }
      this.partial.set(key, (got = new Map()));
    }
    got.set(name, tensor);
    if (got.size < this.expected) return undefined;
    this.partial.delete(key);
    return Object.fromEntries(got);
  }

  /** Drops every incomplete sample of an epoch before `epoch`. */
  dropBefore(epoch: number): void {
    for (const key of [...this.partial.keys()]) if (key < epoch * SEQS) this.partial.delete(key);
  }

  /** Drops `seq`'s incomplete entries of every epoch. */
  dropSeq(seq: number): void {
    for (const key of [...this.partial.keys()]) if (key % SEQS === seq) this.partial.delete(key);
  }

  clear(): void {
    this.partial.clear();
  }
}

/** Tensor frames of one sample (or micro-batch) and their bytes on the wire. */
export interface SampleFrames {
  readonly frames: TensorFrame[];
  readonly bytes: number;
}

/**
 * Builds the frames that carry `sends` of one sample: float32 tensors at their wire precision,
 * others as their own bytes. `missing` names the error when a tensor is not there.
 */
export function sampleFrames(
  epoch: number,
  seq: number,
  sends: readonly { readonly name: string; readonly wire: WireEncoding }[],
  tensorOf: (name: string) => Tensor | undefined,
  keyed: boolean,
  missing: (name: string) => EdgesplitError,
): SampleFrames {
  let bytes = 0;
  const frames = sends.map(({ name, wire }): TensorFrame => {
    const tensor = tensorOf(name);
    if (!tensor) throw missing(name);
    const f: TensorFrame = {
      type: 'tensor',
      streamId: epoch,
      seq,
      name,
      tensor,
      wire: tensor.dtype === 'float32' ? wire : 'native',
    };
    bytes += tensorFrameBytes(f, keyed);
    return f;
  });
  return { frames, bytes };
}
