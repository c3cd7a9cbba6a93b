// What sinks read of the event clips (the HTTP API serves them, the dialects say `has_clip`): a view, handed down by the
// composition root, of files written by pipeline/ with ffmpeg's help.

/** An open clip: the file stays on disk until `release()`, even if retention wants it gone meanwhile. */
export interface ClipHandle {
  path: string;
  bytes: number;
  release(): void;
}

export interface ClipsView {
  /** the clip is written, or is being made (the event's camera was recording when it began) */
  has(eventId: string): boolean;
  /** the written clip, held open for a reader; undefined while it is being made or when there is none */
  open(eventId: string): ClipHandle | undefined;
}
