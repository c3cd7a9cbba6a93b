import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { redactConfig, redactSecrets, urlSecrets } from '../../config/redact.js';
import type { FittedTransform } from '../../core/letterbox.js';
import { isLookoutError } from '../../core/errors.js';
import type { FrameFormat } from '../../core/types.js';
import { classifyFailure } from '../../sources/camera-failure.js';
import { cameraUrlKind, withCredentials } from '../../config/camera-url.js';
import { createSource, isLiveCamera, liveReadOptions, quickReadOptions } from '../../sources/create-source.js';
import { endpointOf } from '../../sources/port-check.js';
import { buildFfmpegArgs, probeArgs } from '../../sources/ffmpeg-args.js';
import { LiveSource } from '../../sources/live-source.js';
import { VideoSource } from '../../sources/video-source.js';

const model = { path: 'yolox-nano' };
const camera = (c: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => parseConfig({ model, cameras: [{ name: 'door', ...c }] }, { env, baseDir: '/cfg' }).cameras[0];

function configError(c: Record<string, unknown>): string {
  try {
    parseConfig({ model, cameras: [{ name: 'door', ...c }] }, { env: {}, baseDir: '/cfg' });
  } catch (err) {
    assert.ok(isLookoutError(err));
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('camera inputs', () => {
  describe('cameraUrlKind', () => {
    it('names every input Lookout reads', () => {
      assert.equal(cameraUrlKind('rtsp://10.0.0.5:554/live'), 'rtsp');
      assert.equal(cameraUrlKind('RTSPS://cam/live'), 'rtsp');
      assert.equal(cameraUrlKind('http://cam/video.mjpg'), 'http');
      assert.equal(cameraUrlKind('https://cam/live/index.m3u8?token=x'), 'hls');
      assert.equal(cameraUrlKind('/dev/video0'), 'v4l2');
      assert.equal(cameraUrlKind('/clips/a.mp4'), 'file');
      assert.equal(cameraUrlKind('file:///clips/a.mp4'), 'file');
      assert.equal(cameraUrlKind('lavfi:testsrc2'), 'lavfi');
    });
    it('explains what it does not read', () => {
      assert.deepEqual(cameraUrlKind('rtmp://cam/live'), { problem: 'rtmp:// is not a camera input: expected rtsp://, rtsps://, http(s):// (MJPEG, HLS), /dev/videoN, a file path or lavfi:<graph>' });
      assert.match((cameraUrlKind('rtsp:///live') as { problem: string }).problem, /needs a host/);
    });
  });

  describe('withCredentials', () => {
    it('puts username and password into the URL, percent-encoded', () => {
      assert.equal(withCredentials('rtsp://cam:554/live', 'admin', 'p@ss:w/rd'), 'rtsp://admin:p%40ss%3Aw%2Frd@cam:554/live');
      assert.equal(withCredentials('http://cam/x', 'viewer', undefined), 'http://viewer@cam/x');
      assert.equal(withCredentials('rtsp://cam/live', undefined, undefined), 'rtsp://cam/live');
    });
  });

  describe('config', () => {
    it('accepts live cameras with their defaults', () => {
      const c = camera({ url: 'rtsp://cam/live' });
      assert.equal(c.transport, 'tcp');
      assert.deepEqual(c.reconnect, { initialMs: 1000, maxMs: 30_000 });
      assert.equal(c.stallTimeoutMs, 10_000);
      assert.deepEqual(c.inputArgs, []);
      assert.equal(c.hwaccel, undefined);
      assert.equal(c.url, 'rtsp://cam/live', 'a URL is not made into a path');
      assert.equal(camera({ url: '/dev/video2' }).url, '/dev/video2');
    });

    it('takes credentials from ${VAR}s', () => {
      const c = camera({ url: 'rtsp://cam/live', username: '${CAM_USER}', password: '${CAM_PASSWORD}' }, { CAM_USER: 'admin', CAM_PASSWORD: 'hunter22' });
      assert.equal(c.username, 'admin');
      assert.equal(c.password, 'hunter22');
    });

    it('takes every live option', () => {
      const c = camera({ url: 'rtsp://cam/live', transport: 'udp', hwaccel: 'vaapi', inputArgs: ['-fflags', '+nobuffer'], reconnect: { initialMs: 200, maxMs: 5000 }, stallTimeoutMs: 3000 });
      assert.equal(c.transport, 'udp');
      assert.equal(c.hwaccel, 'vaapi');
      assert.deepEqual(c.inputArgs, ['-fflags', '+nobuffer']);
      assert.deepEqual(c.reconnect, { initialMs: 200, maxMs: 5000 });
    });

    it('rejects settings that do not fit together, naming them', () => {
      assert.match(configError({ url: 'rtsp://cam/live', password: 'x' }), /cameras\[0\]: password: needs username/);
      assert.match(configError({ url: 'rtsp://a:b@cam/live', username: 'a' }), /username: the url already has credentials/);
      assert.match(configError({ url: '/clips/a.mp4', username: 'a' }), /username: only rtsp:\/\/ and http\(s\):\/\/ cameras take credentials/);
      assert.match(configError({ url: 'http://cam/x.mjpg', transport: 'udp' }), /transport: only applies to rtsp:\/\//);
      assert.match(configError({ url: 'rtsp://cam/live', reconnect: { initialMs: 5000, maxMs: 1000 } }), /reconnect\.maxMs \(1000\) must be >= reconnect\.initialMs \(5000\)/);
      assert.match(configError({ url: 'rtsp://cam/live', hwaccel: 'nvenc' }), /cameras\[0\]\.hwaccel: must be one of cuda, vaapi, qsv/);
      assert.match(configError({ url: 'rtsp://cam/live', stallTimeoutMs: 10 }), /cameras\[0\]\.stallTimeoutMs: must be a number of milliseconds from 100/);
    });

    it('never repeats a password in an error message', () => {
      const msg = configError({ url: 'rtsp://cam/live', username: 'admin', password: 987654321 });
      assert.match(msg, /cameras\[0\]\.password: must be a string/);
      assert.ok(!msg.includes('987654321'), msg);
    });
  });

  describe('ffmpeg input options', () => {
    const format: FrameFormat = { width: 320, height: 320, layout: 'gbrp', resize: 'stretch', padValue: 114 };
    const t: FittedTransform = { srcWidth: 640, srcHeight: 480, scaledWidth: 320, scaledHeight: 320, scaleX: 0.5, scaleY: 320 / 480, padX: 0, padY: 0 };
    const before = (args: string[]) => args.slice(0, args.indexOf('-i'));

    it('reads RTSP over TCP by default, UDP on request, and puts inputArgs last so they win', () => {
      assert.deepEqual(liveReadOptions('rtsp', { transport: 'tcp', inputArgs: [] }), ['-rtsp_transport', 'tcp', '-analyzeduration', '1000000']);
      assert.deepEqual(liveReadOptions('rtsp', { transport: 'udp', inputArgs: ['-analyzeduration', '3000000'] }), ['-rtsp_transport', 'udp', '-analyzeduration', '1000000', '-analyzeduration', '3000000']);
      assert.deepEqual(liveReadOptions('http', { transport: 'tcp', inputArgs: [] }), ['-analyzeduration', '1000000']);
      assert.deepEqual(liveReadOptions('v4l2', { transport: 'tcp', inputArgs: ['-input_format', 'mjpeg'] }), ['-f', 'v4l2', '-input_format', 'mjpeg']);
    });

    it('skips stream analysis for RTSP only, with inputArgs still last', () => {
      assert.deepEqual(quickReadOptions('rtsp', { transport: 'tcp', inputArgs: ['-analyzeduration', '3000000'] }), ['-rtsp_transport', 'tcp', '-analyzeduration', '0', '-probesize', '32', '-analyzeduration', '3000000']);
      assert.equal(quickReadOptions('http', { transport: 'tcp', inputArgs: [] }), undefined);
      assert.equal(quickReadOptions('hls', { transport: 'tcp', inputArgs: [] }), undefined);
      assert.equal(quickReadOptions('v4l2', { transport: 'tcp', inputArgs: [] }), undefined);
    });

    it('finds the host and port a network camera connects to', () => {
      assert.deepEqual(endpointOf('rtsp://u:p%40ss@cam.local/live'), { host: 'cam.local', port: 554 });
      assert.deepEqual(endpointOf('rtsp://10.0.0.5:8554/a'), { host: '10.0.0.5', port: 8554 });
      assert.deepEqual(endpointOf('rtsps://[::1]/a'), { host: '::1', port: 322 });
      assert.deepEqual(endpointOf('https://cam/x.m3u8'), { host: 'cam', port: 443 });
      assert.deepEqual(endpointOf('http://cam:81/mjpg'), { host: 'cam', port: 81 });
      assert.equal(endpointOf('/dev/video0'), undefined);
      assert.equal(endpointOf('lavfi:testsrc'), undefined);
    });

    it('leaves ffmpeg-only options out of the probe', () => {
      assert.deepEqual(probeArgs({ lavfi: false, readOptions: ['-rtsp_transport', 'tcp', '-hwaccel_device', '/dev/dri/renderD128', '-re', '-c:v', 'h264_cuvid', '-timeout', '5000000'] }), ['-rtsp_transport', 'tcp', '-timeout', '5000000']);
      assert.deepEqual(probeArgs({ lavfi: true }), ['-f', 'lavfi']);
    });

    it('puts -hwaccel and the read options before -i, and never -re or -stream_loop for a stream', () => {
      const args = buildFfmpegArgs({ input: 'rtsp://cam/live', lavfi: false, realtime: false, loop: false, fps: 5, readOptions: ['-rtsp_transport', 'tcp'], hwaccel: 'cuda' }, format, t);
      assert.deepEqual(before(args), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-filter_threads', '1', '-hwaccel', 'cuda', '-threads', '2', '-rtsp_transport', 'tcp']);
      assert.equal(args[args.indexOf('-i') + 1], 'rtsp://cam/live');
    });
  });

  describe('createSource', () => {
    it('wraps live inputs in a LiveSource with the latest policy and keeps files waiting', () => {
      const rtsp = createSource(camera({ url: 'rtsp://cam/live' }));
      assert.ok(rtsp instanceof LiveSource);
      assert.equal(rtsp.policy, 'latest');
      assert.ok(rtsp.states$);
      assert.deepEqual(rtsp.counters, { framesIn: 0, dropped: 0, reconnects: 0 });
      const file = createSource(camera({ url: '/clips/a.mp4' }));
      assert.ok(file instanceof VideoSource);
      assert.equal(file.policy, 'wait');
      // a realtime synthetic camera runs on the clock like a real one
      assert.equal(createSource(camera({ url: 'lavfi:testsrc2', realtime: true })).policy, 'latest');
      assert.equal(createSource(camera({ url: 'lavfi:testsrc2', realtime: false })).policy, 'wait');
      assert.equal(isLiveCamera({ url: '/dev/video0' }), true);
      assert.equal(isLiveCamera({ url: 'lavfi:testsrc2' }), false);
    });
  });

  describe('classifyFailure', () => {
    it('tells wrong credentials, a wrong path, an unreachable camera and a lost stream apart', () => {
      const c = (m: string) => [classifyFailure(m).code, classifyFailure(m).status];
      assert.deepEqual(c('cannot open rtsp://x: Server returned 401 Unauthorized (authorization failed)'), ['LOOKOUT_ERR_CAMERA_AUTH', 'offline']);
      assert.deepEqual(c('cannot open http://x: Server returned 403 Forbidden (access denied)'), ['LOOKOUT_ERR_CAMERA_AUTH', 'offline']);
      assert.deepEqual(c('cannot open rtsp://x/nope: Server returned 404 Not Found'), ['LOOKOUT_ERR_CAMERA_NOT_FOUND', 'offline']);
      assert.deepEqual(c('cannot open /dev/video7: No such file or directory'), ['LOOKOUT_ERR_CAMERA_NOT_FOUND', 'offline']);
      assert.deepEqual(c('cannot open rtsp://x: Connection refused'), ['LOOKOUT_ERR_CAMERA_UNREACHABLE', 'reconnecting']);
      assert.deepEqual(c('cannot open rtsp://x: Connection timed out'), ['LOOKOUT_ERR_CAMERA_UNREACHABLE', 'reconnecting']);
      assert.deepEqual(c('door: ffmpeg failed on rtsp://x: Invalid data found when processing input'), ['LOOKOUT_ERR_CAMERA_LOST', 'reconnecting']);
      // an ffmpeg usage error is not a missing stream
      assert.deepEqual(c('cannot open rtsp://x: Error splitting the argument list: Option not found'), ['LOOKOUT_ERR_CAMERA_LOST', 'reconnecting']);
    });
  });

  describe('redaction', () => {
    it('finds the secrets of a URL in every spelling', () => {
      const spelled = urlSecrets('rtsp://admin:p%40ss@cam/live');
      assert.ok(spelled.includes('p%40ss') && spelled.includes('p@ss'), String(spelled));
      assert.deepEqual(urlSecrets('https://cam/x.m3u8?user=a&token=t0ken123'), ['t0ken123']);
      assert.deepEqual(urlSecrets('rtsp://cam/live'), []);
      assert.equal(redactSecrets('rtsp://admin:p%40ss@cam: 401', urlSecrets('rtsp://admin:p%40ss@cam')), 'rtsp://admin:***@cam: 401');
    });

    it('masks passwords and URL credentials in a printed config', () => {
      const c = parseConfig({ model, cameras: [{ name: 'a', url: 'rtsp://cam/live', username: 'admin', password: 'hunter22' }, { name: 'b', url: 'rtsp://u:s3cr3t@cam/live' }] }, { env: {} });
      const text = JSON.stringify(redactConfig(c));
      assert.ok(!text.includes('hunter22') && !text.includes('s3cr3t'), text);
      assert.match(text, /"password":"\*\*\*"/);
      assert.match(text, /rtsp:\/\/u:\*\*\*@cam\/live/);
    });
  });
});
