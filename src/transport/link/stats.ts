/** Counters of one emulated link end (its sending and its receiving direction). */
export interface LinkStats {
  /** Packets put on air, new ones, retransmissions, lost on air, retransmission timeouts. */
  packetsSent: number;
  newPackets: number;
  retransmissions: number;
  lostOnAir: number;
  timeouts: number;
  /** Upper-layer bytes accepted for sending. */
  bytesQueued: number;
  /** Packets arriving at a full receive buffer (silently dropped), duplicates, out-of-order discards. */
  bufferDrops: number;
  duplicates: number;
  outOfOrder: number;
  /** Packets and bytes delivered in order to the upper layer. */
  packetsDelivered: number;
  bytesDelivered: number;
  /**
   * Air time of every transmission put on air (new packets and retransmissions, lost ones too), ms on
   * the emulated clock: what this end's radio spent carrying its bytes.
   */
  airSentMs: number;
  /** Air time of the packets this end received and delivered, ms (the far end's transmissions of them). */
  airReceivedMs: number;
  /** Emulated instants of the first packet delivered and of the last, ms. */
  firstDeliveryAt: number;
  lastDeliveryAt: number;
}

/** Fresh zeroed counters. */
export function emptyLinkStats(): LinkStats {
  return {
    packetsSent: 0,
    newPackets: 0,
    retransmissions: 0,
    lostOnAir: 0,
    timeouts: 0,
    bytesQueued: 0,
    bufferDrops: 0,
    duplicates: 0,
    outOfOrder: 0,
    packetsDelivered: 0,
    bytesDelivered: 0,
    airSentMs: 0,
    airReceivedMs: 0,
    firstDeliveryAt: 0,
    lastDeliveryAt: 0,
  };
}
