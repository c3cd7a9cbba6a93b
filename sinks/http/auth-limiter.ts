// Slows down guessing: a peer (remote address) with `max` failed authentications inside `windowMs` is refused with
// 429 until that window ends, without its credentials even being looked at. The map of peers is bounded, so a flood
// of addresses cannot grow it: the oldest entry goes first.

export interface AuthLimiterOptions {
  /** failures allowed per peer in one window (0: no limit) */
  max: number;
  windowMs: number;
  /** peers remembered at most */
  maxPeers?: number;
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
}

export class AuthFailureLimiter {
  private readonly peers = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxPeers: number;

  constructor(private readonly opts: AuthLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.maxPeers = opts.maxPeers ?? 10_000;
  }

  /** Seconds until `peer` may try again; 0 when it may now. */
  retryAfter(peer: string): number {
    if (this.opts.max === 0) return 0;
    const w = this.peers.get(peer);
    if (!w) return 0;
    const left = w.start + this.opts.windowMs - this.now();
    if (left <= 0) {
      this.peers.delete(peer);
      return 0;
    }
    return w.failures >= this.opts.max ? Math.ceil(left / 1000) : 0;
  }

  failed(peer: string): void {
    if (this.opts.max === 0) return;
    const now = this.now();
    let w = this.peers.get(peer);
    if (!w || now - w.start >= this.opts.windowMs) {
      this.peers.delete(peer);
      if (this.peers.size >= this.maxPeers) this.peers.delete(this.peers.keys().next().value!);
      w = { start: now, failures: 0 };
      this.peers.set(peer, w);
    }
    w.failures++;
  }

  get size(): number {
    return this.peers.size;
  }
}
