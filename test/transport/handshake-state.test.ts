import { describe, expect, it } from 'vitest';
import type { MessageFrame } from '../../src/transport/codec/frame.js';
import { HandshakeState, type HandshakeStep } from '../../src/transport/handshake-state.js';

const W = { frames: 4, bytes: 4096 };
const key = (b: number) => Buffer.alloc(32, b);
const sent = (s: HandshakeStep): MessageFrame => {
  if (s.kind !== 'continue' && !(s.kind === 'ready' && s.send))
    throw new Error(`no frame to send: ${s.kind}`);
  return s.send!;
};

describe('handshake state machine (pure)', () => {
  it("two ends with the same key become ready with matching record keys and learn each other's window", () => {
    const c = new HandshakeState('client', key(1), W);
    const s = new HandshakeState('server', key(1), { frames: 8, bytes: 8192 });
    const challenge = sent(s.onFrame(c.hello()));
    const auth = sent(c.onFrame(challenge));
    const serverDone = s.onFrame(auth);
    expect(serverDone.kind).toBe('ready');
    const clientDone = c.onFrame(sent(serverDone));
    expect(clientDone.kind).toBe('ready');
    const ks = serverDone.kind === 'ready' ? serverDone.keys : undefined;
    const kc = clientDone.kind === 'ready' ? clientDone.keys : undefined;
    expect(ks && kc && ks.send.equals(kc.receive) && ks.receive.equals(kc.send)).toBe(true);
    expect(ks!.send.equals(ks!.receive)).toBe(false);
    expect(c.peerWindow).toEqual({ frames: 8, bytes: 8192 });
    expect(s.peerWindow).toEqual(W);
  });

  it('a different key fails the proof; a keyless client is refused by a keyed server', () => {
    const c = new HandshakeState('client', key(1), W);
    const s = new HandshakeState('server', key(2), W);
    const refused = s.onFrame(sent(c.onFrame(sent(s.onFrame(c.hello())))));
    expect(refused).toMatchObject({ kind: 'refuse', event: 'auth-failed' });
    const plain = new HandshakeState('client', undefined, W);
    expect(new HandshakeState('server', key(1), W).onFrame(plain.hello())).toMatchObject({
      kind: 'refuse',
      event: 'auth-refused',
    });
  });

  it('without keys the server is ready after its challenge and the client after reading it', () => {
    const c = new HandshakeState('client', undefined, W);
    const s = new HandshakeState('server', undefined, W);
    const step = s.onFrame(c.hello());
    expect(step.kind).toBe('ready');
    expect(c.onFrame(sent(step))).toEqual({ kind: 'ready' });
  });

  it('rejects frames out of order and a hello without a window', () => {
    const s = new HandshakeState('server', undefined, W);
    expect(s.onFrame({ type: 'auth', streamId: 0, seq: 0, body: {} })).toMatchObject({
      kind: 'refuse',
      event: 'bad-handshake',
    });
    expect(s.onFrame({ type: 'hello', streamId: 0, seq: 0, body: { version: 1 } })).toMatchObject({
      kind: 'refuse',
      event: 'bad-hello',
    });
  });
});
