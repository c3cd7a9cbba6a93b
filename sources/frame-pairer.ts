// Joins the two outputs of one ffmpeg (the model's frames on stdout, the detect-resolution pictures on fd 3) into
// one frame each. Both splitters number the frames ffmpeg wrote, kept or dropped; a frame is whole when both sides
// have its index. When one side drops an index (no free buffer, 'latest' policy), the other side's buffer for it can
// never be paired and goes back to its pool (now, or when it arrives), so the two never drift apart.

export class FramePairer {
  private readonly left = new Map<number, Uint8Array>();
  private readonly right = new Map<number, Uint8Array>();
  /** indices one side dropped that the other has not reached yet */
  private readonly lostLeft = new Set<number>();
  private readonly lostRight = new Set<number>();

  constructor(
    private readonly onPair: (index: number, left: Uint8Array, right: Uint8Array) => void,
    private readonly releaseLeft: (buf: Uint8Array) => void,
    private readonly releaseRight: (buf: Uint8Array) => void,
    /** an index one side had and the other dropped: that frame is lost */
    private readonly onLost: (index: number) => void = () => undefined,
  ) {}

  /** Frames waiting for their other half (bounded by the two pools). */
  get waiting(): number {
    return this.left.size + this.right.size;
  }

  addLeft(index: number, buf: Uint8Array): void {
    if (this.lostRight.delete(index)) return this.releaseLeft(buf);
    this.add(index, buf, this.left, this.right, this.releaseRight, (l, r) => this.onPair(index, l, r));
  }

  addRight(index: number, buf: Uint8Array): void {
    if (this.lostLeft.delete(index)) return this.releaseRight(buf);
    this.add(index, buf, this.right, this.left, this.releaseLeft, (r, l) => this.onPair(index, l, r));
  }

  /** The left side dropped frame `index`: the frame is lost (counted once, also when both sides dropped it). */
  dropLeft(index: number): void {
    this.drop(index, this.right, this.releaseRight, this.lostRight, this.lostLeft);
  }

  dropRight(index: number): void {
    this.drop(index, this.left, this.releaseLeft, this.lostLeft, this.lostRight);
  }

  private drop(index: number, theirs: Map<number, Uint8Array>, releaseTheirs: (b: Uint8Array) => void, theirLost: Set<number>, myLost: Set<number>): void {
    const other = theirs.get(index);
    if (other !== undefined) {
      theirs.delete(index);
      releaseTheirs(other);
    } else if (!theirLost.delete(index)) {
      // the other side has not reached it: its buffer goes back when it comes
      myLost.add(index);
    } else {
      return; // both dropped it: already counted
    }
    this.onLost(index);
  }

  private add(index: number, buf: Uint8Array, mine: Map<number, Uint8Array>, theirs: Map<number, Uint8Array>, releaseTheirs: (b: Uint8Array) => void, pair: (m: Uint8Array, t: Uint8Array) => void): void {
    const other = theirs.get(index);
    if (other === undefined) {
      mine.set(index, buf);
      return;
    }
    theirs.delete(index);
    pair(buf, other);
  }

  /** Returns every waiting buffer to its pool. */
  dispose(): void {
    for (const b of this.left.values()) this.releaseLeft(b);
    for (const b of this.right.values()) this.releaseRight(b);
    this.left.clear();
    this.right.clear();
    this.lostLeft.clear();
    this.lostRight.clear();
  }
}
