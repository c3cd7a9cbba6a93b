// What a test does when something it needs is not on this machine (a real asset, GStreamer's RTSP server, Chromium,
// mosquitto): by default it skips, saying what is missing and how to get it; under LOOKOUT_REQUIRE_ALL=1 (set by
// .ci/run) it fails with the same words, so CI cannot be green with a suite left out.

/** True when a missing dependency must fail the test instead of skipping it. */
export function requireAll(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOOKOUT_REQUIRE_ALL === '1';
}

/** Skips the calling test or hook, or throws under LOOKOUT_REQUIRE_ALL=1; `what` names what is missing and the fix. */
export function missingDependency(ctx: Mocha.Context, what: string): never {
  if (requireAll()) throw new Error(`missing dependency (LOOKOUT_REQUIRE_ALL=1): ${what}`);
  console.warn(`      (skipped: ${what})`);
  ctx.skip();
  throw new Error('unreachable: Mocha.Context.skip() throws');
}

/** Goes on when `unavailable` is null (the tool works); otherwise skips or fails naming `tool` and why. */
export function requireTool(ctx: Mocha.Context, tool: string, unavailable: string | null): void {
  if (unavailable !== null) missingDependency(ctx, `${tool}: ${unavailable}`);
}
