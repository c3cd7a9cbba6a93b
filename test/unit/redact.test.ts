import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactArgs, redactConfig, redactSecrets, redactUrl } from '../../config/redact.js';
import { validateCommand } from '../../cli/validate.js';

describe('redact', () => {
  it('masks the password in a URL and keeps the user and host', () => {
    assert.equal(redactUrl('rtsp://admin:hunter2@10.0.0.5:554/live'), 'rtsp://admin:***@10.0.0.5:554/live');
    assert.equal(redactUrl('rtsp://token@cam/live'), 'rtsp://***@cam/live');
    assert.equal(redactUrl('http://cam/mjpeg?user=a&password=s3cret&x=1'), 'http://cam/mjpeg?user=a&password=***&x=1');
    assert.equal(redactUrl('/clips/a.mp4'), '/clips/a.mp4');
  });
  it('removes known secrets from free text', () => {
    assert.equal(redactSecrets('auth failed for hunter2 at cam', ['hunter2']), 'auth failed for *** at cam');
  });
  it('masks secrets in ffmpeg arguments: header lines, secret options, key=value, URL credentials; keeps the rest', () => {
    const args = [
      '-headers', 'Authorization: Bearer eyJ.abc\r\nUser-Agent: cam\r\nCookie: sid=42\r\n',
      'Proxy-Authorization: Basic dXNlcjpwYXNz',
      '-password', 'pw-1', '-auth_token', 'tok-2', '-cookies', 'sid=3',
      '-opts', 'user=admin:password=pw-4', 'http://h/x?token=tok-5&x=1', '-i', 'rtsp://admin:pw-6@10.0.0.5/live',
      '-rtsp_transport', 'tcp', '-user_agent', 'Lookout',
    ];
    const out = redactArgs(args);
    assert.equal(out.length, args.length, 'same arguments, same order');
    for (const secret of ['eyJ.abc', 'sid=42', 'dXNlcjpwYXNz', 'pw-1', 'tok-2', 'sid=3', 'pw-4', 'tok-5', 'pw-6']) {
      assert.ok(!out.join('\n').includes(secret), `${secret} is masked in ${JSON.stringify(out)}`);
    }
    assert.equal(out[1], 'Authorization: ***\r\nUser-Agent: cam\r\nCookie: ***\r\n');
    assert.equal(out[10], 'user=admin:password=***');
    assert.equal(out[13], 'rtsp://admin:***@10.0.0.5/live');
    assert.deepEqual(out.slice(14), ['-rtsp_transport', 'tcp', '-user_agent', 'Lookout']);
  });
  it('redactConfig masks inputArgs the same way (one redaction module)', () => {
    const cfg = { cameras: [{ name: 'door', url: 'rtsp://a:b@h/x', inputArgs: ['-headers', 'Authorization: Basic c2VjcmV0'] }] };
    assert.deepEqual(redactConfig(cfg).cameras[0], { name: 'door', url: 'rtsp://a:***@h/x', inputArgs: ['-headers', 'Authorization: ***'] });
  });
  it('`validate --print` prints no secret from inputArgs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lookout-redact-'));
    try {
      const file = join(dir, 'lookout.yaml');
      writeFileSync(
        file,
        ['model: { path: yolox-nano }', 'cameras:', '  - name: door', '    url: "http://cam/mjpeg"', '    inputArgs: ["-headers", "Authorization: Bearer s3cr3t-tok\\r\\n", "-password", "hunter2"]'].join('\n') + '\n',
      );
      const out: string[] = [];
      assert.equal(await validateCommand(file, { print: true, write: (l) => out.push(l) }), 0);
      const text = out.join('\n');
      assert.match(text, /Authorization: \*\*\*/);
      assert.doesNotMatch(text, /s3cr3t-tok|hunter2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
