// Waiting on a condition, never on a duration: shared by the tests (test/helpers/faults.ts re-exports it) and the
// benches, which may not import test/.

/** Resolves once `check` returns something truthy (polled every `everyMs`); rejects after `timeoutMs`, naming `what`. */
export async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
