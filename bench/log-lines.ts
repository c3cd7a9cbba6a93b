// How much `lookout run` writes to its log at INFO: two synthetic cameras (lavfi, real-time), a square that walks in
// and out every 12 s on one, an empty scene on the other, the tiny square detector. Prints log lines per minute by
// level. Goal (issue 17): under 10 INFO lines a minute for 2 cameras when nothing changes. Measured: 16 in 60 s, of
// which 6 are start and stop and 10 are the square's 5 visits (new + end); per-frame lines are debug.
//   node dist/bench/log-lines.js [--seconds 60]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSquareModel } from '../models/square-detector.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
const cli = resolve(fileURLToPath(import.meta.url), '..', '..', 'cli.js');
const WALK = 'color=c=black:s=320x240:r=10[bg];color=c=red:s=40x40:r=10[sq];[bg][sq]overlay=x=-60+40*mod(t\\,12):y=100:eval=frame:format=rgb';
const EMPTY = 'color=c=black:s=320x240:r=10';

const dir = await mkdtemp(join(tmpdir(), 'lookout-log-lines-'));
try {
  const { model, labels } = await writeSquareModel(dir);
  const config = join(dir, 'lookout.yaml');
  await writeFile(
    config,
    [
      `model: { path: ${JSON.stringify(model)}, adapter: ultralytics, labels: ${JSON.stringify(labels)}, threshold: 0.5 }`,
      'cameras:',
      `  - { name: walk, url: ${JSON.stringify(`lavfi:${WALK}`)}, fps: 5, objects: { track: [square] } }`,
      `  - { name: empty, url: ${JSON.stringify(`lavfi:${EMPTY}`)}, fps: 5, objects: { track: [square] } }`,
      'log: { level: info }',
    ].join('\n') + '\n',
  );
  const child = spawn(process.execPath, [cli, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((done) => child.on('close', done));
  const timer = setTimeout(() => child.kill('SIGINT'), seconds * 1000);
  const code = await exited;
  clearTimeout(timer);
  const lines = stderr.split('\n').filter(Boolean);
  const byLevel = new Map<string, number>();
  for (const l of lines) {
    const level = / (DEBUG|INFO|WARN|ERROR) /.exec(l)?.[1] ?? 'other';
    byLevel.set(level, (byLevel.get(level) ?? 0) + 1);
  }
  const perMinute = (n: number) => ((n * 60) / seconds).toFixed(1);
  console.log(`lookout run, 2 cameras, ${seconds} s, exit ${code}: ${lines.length} lines`);
  for (const [level, n] of byLevel) console.log(`  ${level.padEnd(5)} ${String(n).padStart(4)}  (${perMinute(n)} a minute)`);
  console.log('INFO lines:');
  for (const l of lines.filter((x) => x.includes(' INFO '))) console.log(`  ${l}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
