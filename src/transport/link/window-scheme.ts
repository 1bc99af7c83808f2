/**
 * The Distributed TinyML seed's window-N scheme (Sec. II-D): send N packets, the last one asks for an
 * acknowledgement that the receiver sends once it has processed it; a missing acknowledgement resends
 * the whole window after a timeout. The receiver keeps only in-order packets, so a window larger than
 * its buffer loses packets there, as the seed's ESP32s did. Feedback body: cum u32.
 */
import { TransportError } from '../errors.js';
import type { DeliveryScheme, ReceiverCore, SchemeReceiver, SchemeSender, SenderCore } from './scheme.js';

/** Flag of the packet that asks for an acknowledgement. */
const ACK_REQUEST = 1;

class WindowSender implements SchemeSender {
  private waiting = false;
  private windowEnd = 0;
  private token = 0;

  constructor(
    private readonly c: SenderCore,
    private readonly n: number,
  ) {}

  pump(t: number): void {
    const c = this.c;
    if (this.waiting) return;
    const seqs: number[] = [];
    const fresh = c.nextSeq();
    for (let s = c.cum(); s < c.nextSeq() && seqs.length < this.n; s++) seqs.push(s);
    while (seqs.length < this.n && c.queuedBytes() > 0) seqs.push(c.newPacket());
    if (seqs.length > 0) this.sendWindow(seqs, t, fresh);
  }

  onControl(stamp: number, body: Buffer): void {
    const c = this.c;
    const cum = body.readUInt32BE(0);
    if (cum <= c.cum()) return;
    c.acknowledge(cum);
    if (c.cum() >= this.windowEnd) this.waiting = false;
    this.pump(stamp);
  }

  /** Sends a window; sequence numbers below `fresh` count as retransmissions. */
  private sendWindow(seqs: number[], t: number, fresh: number): void {
    const c = this.c;
    let arrival = t;
    seqs.forEach((s, i) => {
      arrival = c.transmit(s, t, s < fresh, i === seqs.length - 1 ? ACK_REQUEST : 0);
    });
    this.waiting = true;
    this.windowEnd = seqs[seqs.length - 1] + 1;
    const token = ++this.token;
    const deadline = arrival + (this.n + 1) * c.maxServiceMs + c.latencyMs;
    c.afterGrace(deadline, () => {
      if (!this.waiting || token !== this.token) return;
      c.stats.timeouts += 1;
      const again: number[] = [];
      for (let s = c.cum(); s < this.windowEnd; s++) again.push(s);
      this.sendWindow(again, deadline, c.nextSeq());
    });
  }
}

class WindowReceiver implements SchemeReceiver {
  constructor(private readonly c: ReceiverCore) {}

  admit(seq: number): 'accept' | 'discard' {
    return seq === this.c.expected() + this.c.bufferSize() ? 'accept' : 'discard';
  }

  onBuffered(): void {}

  onDuplicate(t: number, seq: number, flags: number): void {
    if (flags & ACK_REQUEST && seq < this.c.expected()) this.ack(t);
  }

  onDelivered(t: number, flags: number): void {
    if (flags & ACK_REQUEST) this.ack(t);
  }

  private ack(t: number): void {
    const body = Buffer.allocUnsafe(4);
    body.writeUInt32BE(this.c.expected(), 0);
    this.c.sendControl(t, body);
  }
}

/** The seed's window-N scheme; `n` must be a whole number >= 1. */
export function windowScheme(n: number): DeliveryScheme {
  if (!(Number.isInteger(n) && n >= 1))
    throw new TransportError(`window size must be a whole number >= 1, got ${n}`);
  return {
    name: `window-${n}`,
    sender: (core) => new WindowSender(core, n),
    receiver: (core) => new WindowReceiver(core),
  };
}
