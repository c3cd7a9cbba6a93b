// `lookout run` as a child process with the square detector, a synthetic lavfi camera and the HTTP server with token
// auth (and /ws), for tests that attack the running thing from outside: its health, detection progress and memory.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnLookout, until, type LookoutChild } from './faults.js';
import { freePort } from './ports.js';
import { writeSquareModel } from './square-detector.js';
import { lavfiSpec } from './synthetic.js';

export const TOKEN = 'fuzz-t0ken-Lookout';
export const BEARER = { authorization: `Bearer ${TOKEN}` };

export interface RunningLookout {
  lookout: LookoutChild;
  port: number;
  api: string;
  pid: number;
  /** lines logged at level error (the instance logs JSON) */
  errorLines(): string[];
  framesDetected(): Promise<number>;
  /** throws unless the process is alive, answers health 200 and has detected more frames than at the last call */
  assertWell(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts it and waits until the camera has frames detected; `http` writes the http section for the free port it picked. */
export async function startLookout(dir: string, opts: { http?: (port: number) => string; extra?: string[] } = {}): Promise<RunningLookout> {
  const { model, labels } = await writeSquareModel(dir);
  const port = await freePort();
  const scene = { width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 3, vy: 0 };
  const file = join(dir, 'lookout.yaml');
  await writeFile(
    file,
    [
      `model: { path: ${model}, adapter: ultralytics, labels: ${labels}, threshold: 0.5 }`,
      'cameras:',
      `  - { name: yard, url: "lavfi:${lavfiSpec(scene)}", fps: 5, objects: { track: [square] } }`,
      opts.http?.(port) ?? `http: { host: 127.0.0.1, port: ${port}, auth: { token: ${TOKEN} } }`,
      // JSON lines, so that errorLines() can tell levels apart
      'log: { json: true }',
      ...(opts.extra ?? []),
    ].join('\n') + '\n',
  );
  const lookout = spawnLookout(['run', '-c', file, '--json', '--verbose']);
  const api = `http://127.0.0.1:${port}`;
  const framesDetected = async () => {
    const res = await fetch(`${api}/api/cameras`, { headers: BEARER });
    const cams = (await res.json()) as { frames_detected: number }[];
    return cams[0]?.frames_detected ?? 0;
  };
  let last = 0;
  const self: RunningLookout = {
    lookout,
    port,
    api,
    pid: lookout.child.pid!,
    errorLines: () =>
      lookout
        .stdout()
        .concat(lookout.stderr())
        .split('\n')
        .filter((l) => l.includes('"level":"error"')),
    framesDetected,
    async assertWell() {
      if (lookout.child.exitCode !== null || lookout.child.signalCode !== null) throw new Error(`lookout exited (${lookout.child.exitCode ?? lookout.child.signalCode}): ${lookout.stderr().slice(-2000)}`);
      const health = await fetch(`${api}/api/health`, { headers: BEARER });
      if (health.status !== 200) throw new Error(`health answered ${health.status}: ${await health.text()}`);
      const before = last;
      last = await until(`frames detected past ${before}`, async () => {
        const n = await framesDetected();
        return n > before ? n : undefined;
      }, 10_000, 50);
    },
    async stop() {
      if (lookout.child.exitCode === null && lookout.child.signalCode === null) {
        lookout.child.kill('SIGTERM');
        await lookout.exited;
      }
    },
  };
  try {
    await until('lookout detecting', async () => (await framesDetected().catch(() => 0)) > 0, 30_000, 100);
  } catch (err) {
    await self.stop();
    throw new Error(`${(err as Error).message}; its stderr: ${lookout.stderr().slice(-2000)}`);
  }
  return self;
}
