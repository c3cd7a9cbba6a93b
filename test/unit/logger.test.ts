import assert from 'node:assert/strict';
import { Logger } from '../../core/logger.js';
import type { LogLevel } from '../../core/logger.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function capture(level: LogLevel, json: boolean) {
  const lines: string[] = [];
  return { lines, log: new Logger({ level, json, write: (l) => lines.push(l) }) };
}

describe('Logger', () => {
  describe('levels', () => {
    it('writes only lines at or above its level', () => {
      // given a logger at 'warn'
      const { lines, log } = capture('warn', true);
      // when one line of each level is logged
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e', { code: 'LOOKOUT_ERR_MEDIA' });
      // then only warn and error are written
      assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ['w', 'e']);
    });

    it('writes everything at debug', () => {
      const { lines, log } = capture('debug', true);
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e', { code: 'LOOKOUT_ERR_MEDIA' });
      assert.deepEqual(lines.map((l) => JSON.parse(l).level), ['debug', 'info', 'warn', 'error']);
    });

    it('tells whether a level is enabled', () => {
      const { log } = capture('info', false);
      assert.deepEqual(
        (['debug', 'info', 'warn', 'error'] as const).map((l) => log.enabled(l)),
        [false, true, true, true],
      );
      assert.equal(capture('error', false).log.enabled('warn'), false);
    });
  });

  describe('JSON format', () => {
    it('writes one JSON object per line with time, level, msg and the fields', () => {
      const { lines, log } = capture('info', true);
      log.info('camera up', { camera: 'door', fps: 5, size: { w: 640, h: 480 } });
      assert.equal(lines.length, 1);
      assert.ok(!lines[0].includes('\n'));
      const o = JSON.parse(lines[0]);
      assert.match(o.time, ISO);
      assert.deepEqual({ ...o, time: 'T' }, { time: 'T', level: 'info', msg: 'camera up', camera: 'door', fps: 5, size: { w: 640, h: 480 } });
    });
  });

  describe('text format', () => {
    it('writes time, padded level, [component/camera], message and the other fields as key=value', () => {
      const { lines, log } = capture('info', false);
      log.warn('slow batch', { component: 'infer', camera: 'door', ms: 41, note: 'gpu busy', tags: ['a'] });
      const [time, ...rest] = lines[0].split(' ');
      assert.match(time, ISO);
      assert.equal(rest.join(' '), 'WARN  [infer/door] slow batch ms=41 note=gpu busy tags=["a"]');
    });

    it('pads every level to the same width', () => {
      const { lines, log } = capture('debug', false);
      log.debug('x');
      log.info('x');
      log.warn('x');
      log.error('x', { code: 'LOOKOUT_ERR_MEDIA' });
      assert.deepEqual(
        lines.map((l) => l.slice(l.indexOf(' ') + 1)),
        ['DEBUG x', 'INFO  x', 'WARN  x', 'ERROR LOOKOUT_ERR_MEDIA x'],
      );
    });

    it('writes only the parts it has: no brackets without component or camera, no tail without fields', () => {
      const { lines, log } = capture('info', false);
      log.info('plain');
      log.info('only camera', { camera: 'yard' });
      log.info('only component', { component: 'mqtt' });
      assert.deepEqual(
        lines.map((l) => l.slice(l.indexOf(' ') + 1)),
        ['INFO  plain', 'INFO  [yard] only camera', 'INFO  [mqtt] only component'],
      );
    });
  });

  describe('child loggers', () => {
    it('add their fields to every line, nested children adding more', () => {
      const { lines, log } = capture('info', true);
      const cam = log.child({ component: 'source' }).child({ camera: 'door' });
      cam.info('started', { pid: 42 });
      const o = JSON.parse(lines[0]);
      assert.deepEqual([o.component, o.camera, o.pid, o.msg], ['source', 'door', 42, 'started']);
    });

    it('let a line’s own fields override the child’s, and leave the parent unchanged', () => {
      const { lines, log } = capture('info', false);
      const child = log.child({ component: 'source', camera: 'door' });
      child.info('a', { camera: 'yard' });
      child.info('b');
      log.info('c');
      assert.deepEqual(
        lines.map((l) => l.slice(l.indexOf(' ') + 1)),
        ['INFO  [source/yard] a', 'INFO  [source/door] b', 'INFO  c'],
      );
    });

    it('share the parent’s level and output', () => {
      const { lines, log } = capture('error', true);
      const child = log.child({ component: 'x' });
      child.warn('dropped');
      child.error('kept', { code: 'LOOKOUT_ERR_MEDIA' });
      assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ['kept']);
    });
  });

  it('writes to stderr, not stdout, when no writer is given', () => {
    const err: string[] = [];
    const out: string[] = [];
    const origErr = process.stderr.write;
    const origOut = process.stdout.write;
    process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
    process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      new Logger({ level: 'info', json: true }).info('to stderr');
    } finally {
      process.stderr.write = origErr;
      process.stdout.write = origOut;
    }
    assert.equal(out.length, 0);
    assert.equal(err.length, 1);
    assert.ok(err[0].endsWith('\n'));
    assert.equal(JSON.parse(err[0]).msg, 'to stderr');
  });

  describe('text lines cannot be forged', () => {
    it('escapes newlines and control characters in the message, fields and their names', () => {
      // given a text logger and values an attacker controls (a camera name, an error text, a field key)
      const { lines, log } = capture('info', false);
      const forged = '2026-01-01T00:00:00.000Z ERROR [auth] admin logged in';
      // when they carry newlines, carriage returns, an ANSI escape and a line separator
      log.child({ component: 'http', camera: 'cam\nx' }).warn(`bad request\n${forged}\r`, { path: `/a\n${forged}`, 'k\ney': 'v\u001b[2J\u2028' });
      // then it is still one line, with each control character written as an escape
      assert.equal(lines.length, 1);
      assert.equal(lines[0].split(/[\n\r\u2028\u2029]/).length, 1, lines[0]);
      assert.ok(lines[0].includes(`[http/cam\\nx] bad request\\n${forged}\\r path=/a\\n${forged} k\\ney=v\\u001b[2J\\u2028`), lines[0]);
    });

    it('leaves ordinary text alone', () => {
      const { lines, log } = capture('info', false);
      log.info('café – 3 objects', { camera: 'front', count: 3 });
      assert.match(lines[0], / INFO  \[front\] café – 3 objects count=3$/);
    });
  });
});
