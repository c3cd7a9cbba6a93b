// `lookout demo` (`npm start`): a person walks through a room on screen, boxes drawn, events listed, MQTT speaking.
// Pulls the pinned yolox-nano and sample clip (or takes them from LOOKOUT_ASSETS / --from), loops the clip at real-time
// pace as a camera, starts the embedded MQTT broker and the dashboard, and prints where to look.
import { parseConfig } from '../config/load.js';
import { isLookoutError, LookoutError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { resolveAsset, type ResolveOptions } from '../models/registry.js';
import { ProgressLine, renderDownloadProgress } from './progress.js';
import { HttpServer } from '../sinks/http/http-server.js';
import { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { serve } from './serve.js';

export const DEMO_MODEL = 'yolox-nano';
export const DEMO_CLIP = 'one-by-one-person-detection';

export interface DemoOptions {
  port: number;
  mqttPort: number;
  registry: ResolveOptions;
  logger: Logger;
  write: (line: string) => void;
}

const OFFLINE_HELP = `The demo needs the yolox-nano model and the sample clip one-by-one-person-detection.mp4. It downloads them
from their pinned upstream addresses (see \`lookout models list\`), which this machine cannot reach. Point it at local
copies instead: LOOKOUT_ASSETS=DIR npm start (or lookout demo --from DIR), where DIR holds models/yolox_nano.onnx,
models/coco.names and media/one-by-one-person-detection.mp4 (each is checked against its pinned SHA-256). Or run your
own model and clip: lookout run -c lookout.yaml, with model.path set to an .onnx file and cameras[0].url to a video.`;

async function fetchAsset(name: string, opts: DemoOptions): Promise<string> {
  const progress = new ProgressLine(process.stderr);
  const path = await resolveAsset(name, {
    ...opts.registry,
    onProgress: (p) => progress.draw(renderDownloadProgress(p.name, p.received, p.total)),
  });
  progress.end('clear');
  return path;
}

export async function demoCommand(opts: DemoOptions): Promise<number> {
  let model: string;
  let clip: string;
  let labels: string;
  try {
    model = await fetchAsset(DEMO_MODEL, opts);
    labels = await fetchAsset('coco-names', opts);
    clip = await fetchAsset(DEMO_CLIP, opts);
  } catch (err) {
    if (isLookoutError(err) && (err.code === 'LOOKOUT_ERR_REGISTRY' || err.code === 'LOOKOUT_ERR_CHECKSUM')) {
      throw new LookoutError(err.code, `${err.message}\n\n${OFFLINE_HELP}`);
    }
    throw err;
  }
  const config = parseConfig(
    {
      model: { path: model, adapter: 'yolox', labels, threshold: 0.3 },
      cameras: [
        {
          name: 'room',
          url: clip,
          fps: 5,
          loop: true,
          realtime: true,
          objects: { track: ['person'], filters: { person: { threshold: 0.6, minScore: 0.4 } } },
          tracker: { maxDisappearedSeconds: 2 },
        },
      ],
      mqtt: { embedded: { host: '127.0.0.1', port: opts.mqttPort }, statsIntervalSeconds: 30 },
      http: { host: '127.0.0.1', port: opts.port },
      log: { level: 'info' },
    },
    { env: {} },
  );
  return serve(config, {
    logger: opts.logger,
    json: false,
    onReady: (_runtime, sinks) => {
      const http = sinks.find((s): s is HttpServer => s instanceof HttpServer);
      const broker = sinks.find((s): s is MqttSink => s instanceof MqttSink)?.url ?? `mqtt://127.0.0.1:${opts.mqttPort}`;
      const { hostname, port } = new URL(broker);
      opts.write('');
      opts.write(`  Lookout demo: a person walks through a room, looped at real-time pace, watched by yolox-nano.`);
      opts.write(`  Dashboard:  ${http?.url ?? '(no dashboard)'}/`);
      // snapshots are retained JPEG bytes: `lookout/#` alone would pour them into the terminal
      opts.write(`  MQTT:       mosquitto_sub -h ${hostname} -p ${port} -t 'lookout/#' -T 'lookout/+/+/snapshot' -v`);
      opts.write(`         or:  npx mqtt sub -h ${hostname} -p ${port} -t 'lookout/+/events' -v`);
      opts.write(`  Stop with Ctrl-C.`);
      opts.write('');
    },
  });
}
