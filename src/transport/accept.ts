import { FramedConnection } from './connection-impl.js';
import type { ByteDuplex, ListenOptions } from './transport.js';

/** The server side of a listener: accepts raw streams and counts what became of them. */
export class Acceptor {
  private readonly open = new Set<FramedConnection>();
  private accepted = 0;
  private refused = 0;

  constructor(private readonly options: ListenOptions) {}

  /** Wraps a new raw stream (link emulation), runs the handshake and hands the connection on once it succeeds. */
  accept(raw: ByteDuplex): void {
    const conn = new FramedConnection(
      this.options.wrap ? this.options.wrap(raw) : raw,
      'server',
      this.options,
    );
    this.open.add(conn);
    void conn.closed.then(() => this.open.delete(conn));
    conn.ready.then(
      () => {
        this.accepted += 1;
        this.options.onConnection(conn);
      },
      () => (this.refused += 1),
    );
  }

  /** Listener counters. */
  stats(): { readonly accepted: number; readonly refused: number; readonly open: number } {
    return { accepted: this.accepted, refused: this.refused, open: this.open.size };
  }

  /** Closes every open connection. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close('listener closed')));
  }
}
