/**
 * edgesplit's credit scheme: never more packets outstanding than the receiver buffer holds, so the
 * buffer cannot overflow; the receiver answers every arrival and delivery with a selective
 * acknowledgement (cumulative point, the packets it holds, the latest transmission it has seen);
 * the sender retransmits exactly the packets known lost, or after a timeout the tail.
 * Feedback body: cum u32, lastTx u32, n u16, n x seq u32.
 */
import type { DeliveryScheme, ReceiverCore, SchemeReceiver, SchemeSender, SenderCore } from './scheme.js';

class CreditSender implements SchemeSender {
  private retx: number[] = [];
  private sacked = new Set<number>();

  constructor(private readonly c: SenderCore) {}

  pump(t: number): void {
    const c = this.c;
    for (;;) {
      const r = this.retx.shift();
      if (r !== undefined) {
        if (r >= c.cum() && c.isUnacked(r) && !this.sacked.has(r)) this.send(r, t, true);
        continue;
      }
      if (c.queuedBytes() === 0 || c.nextSeq() - c.cum() >= c.bufferPackets) break;
      this.send(c.newPacket(), t, false);
    }
  }

  onControl(stamp: number, body: Buffer): void {
    const c = this.c;
    const n = body.readUInt16BE(8);
    const lastTx = body.readUInt32BE(4);
    this.sacked = new Set(Array.from({ length: n }, (_, i) => body.readUInt32BE(10 + 4 * i)));
    c.acknowledge(body.readUInt32BE(0));
    // every transmission before the latest one seen has arrived or is lost: the unacknowledged ones are lost
    for (let s = c.cum(); s < c.nextSeq(); s++)
      if (c.isUnacked(s) && !this.sacked.has(s) && c.txOf(s) < lastTx && !this.retx.includes(s))
        this.retx.push(s);
    this.retx.sort((a, b) => a - b);
    this.pump(stamp);
  }

  private send(seq: number, t: number, retransmission: boolean): void {
    const c = this.c;
    const arrival = c.transmit(seq, t, retransmission, 0);
    const deadline = arrival + c.latencyMs + (c.bufferPackets + 1) * c.maxServiceMs;
    c.afterGrace(deadline, () => {
      if (
        !c.isUnacked(seq) ||
        seq < c.cum() ||
        c.arrivalOf(seq) !== arrival ||
        this.sacked.has(seq) ||
        this.retx.includes(seq)
      )
        return;
      c.stats.timeouts += 1;
      this.retx.push(seq);
      this.pump(deadline);
    });
  }
}

class CreditReceiver implements SchemeReceiver {
  constructor(private readonly c: ReceiverCore) {}

  admit(): 'accept' {
    return 'accept';
  }

  onBuffered(t: number): void {
    // acknowledging a buffered packet at once keeps a receiver whose radio or CPU is busy from looking lossy
    this.feedback(t);
  }

  onDuplicate(t: number): void {
    this.feedback(t);
  }

  onDelivered(t: number): void {
    this.feedback(t);
  }

  private feedback(t: number): void {
    const c = this.c;
    const expected = c.expected();
    const sack = [...c.buffered()].filter((s) => s >= expected);
    const body = Buffer.allocUnsafe(10 + 4 * sack.length);
    body.writeUInt32BE(expected, 0);
    body.writeUInt32BE(c.lastTx(), 4);
    body.writeUInt16BE(sack.length, 8);
    sack.forEach((s, i) => body.writeUInt32BE(s, 10 + 4 * i));
    c.sendControl(t, body);
  }
}

/** The credit/SACK scheme (edgesplit's default). */
export function creditScheme(): DeliveryScheme {
  return {
    name: 'credit',
    sender: (core) => new CreditSender(core),
    receiver: (core) => new CreditReceiver(core),
  };
}
