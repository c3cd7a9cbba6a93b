import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { detectCommand } from '../../cli/detect.js';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('runtime: inference threads logged once with the reason (real onnxruntime)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-threads-');
  let clip: string;
  let model: string;
  let labels: string;
  before(async () => {
    clip = await renderSquareClip({ ...DEFAULT_SCENE, duration: 1 }, join(tmp(), 'scene.mp4'));
    ({ model, labels } = await writeSquareModel(tmp()));
  });

  async function threadLines(modelExtra: Record<string, unknown>, cameras: number): Promise<string[]> {
    const lines: string[] = [];
    const logger = new Logger({ level: 'info', json: false, write: (line) => lines.push(line) });
    const config = parseConfig(
      { model: { path: model, adapter: 'ultralytics', labels, ...modelExtra }, cameras: Array.from({ length: cameras }, (_, i) => ({ name: `cam${i}`, url: clip })) },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger });
    await runtime.stop();
    return lines.filter((l) => l.includes('inference threads'));
  }

  it('gives one camera every core, several cameras one core less, and model.threads wins', async () => {
    const cores = availableParallelism();
    assert.deepEqual((await threadLines({}, 1)).map((l) => l.replace(/^\S+ /, '')), [`INFO  [runtime] inference threads: auto (one stream to decode: all cores, onnxruntime's default of one per physical core (${cores} core${cores === 1 ? '' : 's'} here))`]);
    const many = await threadLines({}, 3);
    assert.equal(many.length, 1, many.join('\n'));
    assert.match(many[0], new RegExp(`inference threads: ${Math.max(1, cores - 1)} \\(3 cameras to decode: `));
    const configured = await threadLines({ threads: 3 }, 3);
    assert.equal(configured.length, 1, configured.join('\n'));
    assert.match(configured[0], /inference threads: 3 \(model\.threads in the config\)/);
  });

  it('lookout detect says its choice at debug level (with --verbose), and only then', async () => {
    const run = async (level: 'debug' | 'info') => {
      const lines: string[] = [];
      const out: string[] = [];
      const logger = new Logger({ level, json: false, write: (line) => lines.push(line) });
      await detectCommand({ files: [clip], model, adapter: 'ultralytics', labels, threshold: 0.5, iou: 0.45, providers: ['cpu'], batch: 1, logger, write: (l) => out.push(l) });
      assert.ok(out.length > 1, 'detect wrote its lines');
      return lines.filter((l) => l.includes('inference threads'));
    };
    const verbose = await run('debug');
    assert.equal(verbose.length, 1, verbose.join('\n'));
    assert.match(verbose[0], /DEBUG \[detector\] inference threads: auto \(one stream to decode: all cores/);
    assert.deepEqual(await run('info'), []);
  });
});
