// An answer other than 200 that a handler decides on (the client's mistake, a refusal, a missing thing): the server
// sends its status and message as JSON, with Retry-After when it has one.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** seconds, for a 429 or 503 */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}
