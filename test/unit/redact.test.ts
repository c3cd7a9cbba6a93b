import assert from 'node:assert/strict';
import { redactSecrets, redactUrl } from '../../config/redact.js';

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
});
