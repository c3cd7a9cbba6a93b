// Segment recording beside detection: the camera's own H.264 copied into segments by the same ffmpeg that makes the
// frames (real gst-rtsp-server, real ffmpeg), kept as a rolling cache on the wall clock.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { FrameFormat } from '../../core/types.js';
import { freeBytes, SegmentRecorder, type RecorderStatus } from '../../sources/segment-recorder.js';
import { VideoSource } from '../../sources/video-source.js';
import { probeToEnd } from '../helpers/ffprobe.js';
import { requireAsset } from '../helpers/assets.js';
import { assembleClip } from '../../sources/clip-assembler.js';
import { until } from '../helpers/faults.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { requireTool } from '../helpers/require.js';
import { RtspServer, rtspServerUnavailable } from '../helpers/rtsp-server.js';
import { renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const scene: SquareScene = { width: 320, height: 240, fps: 10, duration: 60, size: 40, x0: 10, y0: 15, vx: 4, vy: 0 };
const format: FrameFormat = { width: 160, height: 120, layout: 'gbrp', padValue: 114 } as FrameFormat;

describe('segment recording (real RTSP server, ffmpeg stream copy)', function () {
  this.timeout(60_000);
  const tmp = useTmpDir('lookout-rec-');
  let clip: string;
  let server: RtspServer | undefined;
  const closers: (() => Promise<void> | void)[] = [];

  before(async function () {
    requireTool(this, "GStreamer's RTSP server", rtspServerUnavailable());
    clip = await renderSquareClip(scene, join(tmp(), 'cam.mp4'), { gop: 10 });
  });

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await server?.stop();
    server = undefined;
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 3000 }), [], 'no ffmpeg left');
  });

  it('copies the camera into segments from the one ffmpeg that makes the frames, and keeps only the pre-roll', async () => {
    server = await RtspServer.start({ mounts: { cam: clip } });
    const statuses: RecorderStatus[] = [];
    const dir = join(tmp(), 'seg1');
    const recorder = await SegmentRecorder.create({ camera: 'cam', dir, segmentSeconds: 1, keepMs: 2500, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 100, onStatus: (s) => statuses.push(s) });
    closers.push(() => recorder.close());
    const source = new VideoSource({ camera: 'cam', url: server.url('cam'), stream: true, fps: 5, policy: 'latest', readOptions: ['-rtsp_transport', 'tcp'], recorder });
    let frames = 0;
    const sub: Subscription = source.frames(format).subscribe({ next: (f) => (frames++, f.release()) });
    closers.push(() => sub.unsubscribe());
    const startedAt = Date.now();
    let firstStart: number | undefined;
    closers.push(recorder.onChange(() => (firstStart ??= recorder.between(0, Infinity)[0]?.startMs)));
    // 6 s of video: the cache holds the last ~2.5 s plus the segment being written, never everything
    await until('6 s recorded', () => firstStart !== undefined && recorder.coveredUntil - firstStart > 6000, 30_000);
    assert.ok(frames > 10, `frames flowed meanwhile (${frames})`);
    assert.equal(server.medias, 2, 'one probe and one ffmpeg: the camera is opened once for frames and segments');
    // held while checked, so none is pruned under ffprobe
    const release = recorder.hold(0);
    closers.push(release);
    const kept = recorder.between(0, Infinity);
    assert.ok(kept.length >= 2 && kept.length <= 5, `rolling cache of ${kept.length} segments`);
    assert.ok(kept[0].endMs >= recorder.coveredUntil - 2500 - 1500, 'nothing older than the pre-roll and a segment');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length <= kept.length + 1, `pruned segments are gone from disk (${files.length} files, ${kept.length} kept)`);
    for (let i = 1; i < kept.length; i++) assert.ok(Math.abs(kept[i].startMs - kept[i - 1].endMs) < 1, 'segments follow each other without a gap');
    for (const s of kept) {
      const p = await probeToEnd(s.path);
      assert.equal(p.codec, 'h264', 'stream copy: the camera\'s own codec');
      assert.ok(Math.abs(p.duration - (s.endMs - s.startMs) / 1000) < 0.15, `segment length matches the list (${p.duration} s)`);
    }
    assert.deepEqual(statuses.map((s) => s.code), ['RECORD_ON']);
  });

  it('a full disk pauses recording (said once) while detection goes on, and recording resumes when space returns', async function () {
    // a 2 MB tmpfs of its own, filled to the last byte (root only; unmounted in teardown)
    const dir = join(tmp(), 'small-disk');
    await mkdir(dir);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
    requireTool(this, 'a tmpfs for the full-disk case', mounted.status === 0 ? null : `mount -t tmpfs refused (${(mounted.stderr || String(mounted.error)).trim()}): run as root`);
    closers.push(() => void spawnSync('umount', ['-l', dir]));
    server = await RtspServer.start({ mounts: { cam: clip } });
    const statuses: RecorderStatus[] = [];
    const recorder = await SegmentRecorder.create({ camera: 'cam', dir: join(dir, 'segments'), segmentSeconds: 1, keepMs: 2500, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 100, onStatus: (st) => statuses.push(st) });
    closers.push(() => recorder.close());
    spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=64k'], { encoding: 'utf8' });
    assert.equal(await freeBytes(dir), 0, 'the disk is full');
    const source = new VideoSource({ camera: 'cam', url: server.url('cam'), stream: true, fps: 5, policy: 'latest', readOptions: ['-rtsp_transport', 'tcp'], recorder });
    let frames = 0;
    let errored: unknown;
    const sub = source.frames(format).subscribe({ next: (f) => (frames++, f.release()), error: (e: unknown) => (errored = e) });
    closers.push(() => sub.unsubscribe());
    await until('recording paused', () => statuses.find((st) => st.state === 'paused'), 30_000);
    const atPause = frames;
    await until('detection goes on without the recording', () => frames >= atPause + 15, 20_000);
    assert.equal(errored, undefined, 'the camera never failed');
    assert.equal(statuses.filter((st) => st.state === 'paused').length, 1, 'said once');
    assert.match(statuses.find((st) => st.state === 'paused')!.message, /cam: recording paused: .*detection goes on/);
    // space returns: recording resumes in a new run of the same camera, and segments come again
    await rm(join(dir, 'filler'));
    await until('recording resumed', () => statuses.some((st) => st.code === 'RECORD_RESUMED'), 10_000);
    const resumedAt = Date.now();
    await until('new segments', () => recorder.coveredUntil > resumedAt - 1000 && recorder.between(0, Infinity).length >= 2, 20_000);
    assert.deepEqual(statuses.map((st) => st.code), ['RECORD_ON', 'LOOKOUT_ERR_RECORD', 'RECORD_RESUMED', 'RECORD_ON']);
    assert.equal(errored, undefined);
  });

  it('real footage over RTSP: a clip cut from the segments lasts its span within one GOP and plays to the end', async function () {
    const footage = requireAsset(this, 'media/vtest_20s.mp4');
    // the asset has one keyframe; a camera sends one every second (GOP 10 at 10 fps), so it is re-encoded once here
    const camera = join(tmp(), 'vtest-gop10.mp4');
    const enc = spawnSync('ffmpeg', ['-y', '-v', 'error', '-i', footage, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p', camera], { encoding: 'utf8' });
    assert.equal(enc.status, 0, enc.stderr);
    server = await RtspServer.start({ mounts: { vtest: camera } });
    const recorder = await SegmentRecorder.create({ camera: 'vtest', dir: join(tmp(), 'seg-real'), segmentSeconds: 2, keepMs: 30_000, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 100 });
    closers.push(() => recorder.close());
    const source = new VideoSource({ camera: 'vtest', url: server.url('vtest'), stream: true, fps: 5, policy: 'latest', readOptions: ['-rtsp_transport', 'tcp'], recorder });
    const sub = source.frames(format).subscribe({ next: (f) => f.release() });
    closers.push(() => sub.unsubscribe());
    let first: number | undefined;
    closers.push(recorder.onChange(() => (first ??= recorder.between(0, Infinity)[0]?.startMs)));
    await until('7 s of footage recorded', () => first !== undefined && recorder.coveredUntil - first > 7000, 40_000);
    const span = { fromMs: first! + 1300, toMs: first! + 5600 };
    const out = join(tmp(), 'real-clip.mp4');
    await assembleClip(recorder.between(span.fromMs, span.toMs), span, out);
    const p = await probeToEnd(out);
    assert.equal(p.codec, 'h264');
    assert.ok(Math.abs(p.duration - 4.3) <= 1, `clip ${p.duration} s for a 4.3 s span`);
    assert.ok(p.frames >= 33, `the span's frames less at most one GOP (${p.frames})`);
    console.log(`      real footage: clip ${p.duration.toFixed(2)} s for a 4.30 s span, ${p.frames} frames`);
  });

  it('a lavfi camera records nothing and says so once', async () => {
    const statuses: RecorderStatus[] = [];
    const dir = join(tmp(), 'seg2');
    const recorder = await SegmentRecorder.create({ camera: 'synthetic', dir, segmentSeconds: 1, keepMs: 2000, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 100, onStatus: (s) => statuses.push(s) });
    closers.push(() => recorder.close());
    // raw video from lavfi: nothing encoded to copy
    const source = new VideoSource({ camera: 'synthetic', url: 'lavfi:testsrc2=size=160x120:rate=10:duration=1', fps: 5, recorder });
    for (let pass = 0; pass < 2; pass++) {
      let frames = 0;
      await new Promise<void>((resolve, reject) => source.frames(format).subscribe({ next: (f) => (frames++, f.release()), complete: resolve, error: reject }));
      assert.ok(frames >= 4, 'detection frames still flow');
    }
    assert.equal(statuses.length, 1, 'said once over two runs');
    assert.equal(statuses[0].code, 'LOOKOUT_ERR_RECORD');
    assert.match(statuses[0].message, /synthetic: records nothing: its rawvideo stream cannot be copied/);
    assert.equal(recorder.recording, false);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.ts')), []);
  });
});
