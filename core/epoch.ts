// Stream time to wall-clock time. Every camera's stream clock is anchored to the wall clock once, at its first frame
// (CameraUpdate.epochOffset), so what people and automation read is *when*, and differences stay exact.

/** A camera's stream time as epoch seconds (microsecond precision), given its update's `epochOffset`. */
export function epochSeconds(epochOffset: number, pts: number): number {
  return Math.round((epochOffset + pts) * 1e6) / 1e6;
}
