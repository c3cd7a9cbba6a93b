import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { ClipStore } from '../../sinks/clips/clip-store.js';
import { until } from '../helpers/faults.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('clip store (retention on a real folder)', () => {
  const tmp = useTmpDir('lookout-clipstore-');
  let n = 0;
  const folder = async () => {
    const dir = `${tmp()}/c${n++}`;
    await mkdir(dir);
    return dir;
  };
  async function put(store: ClipStore, id: string, bytes: number): Promise<void> {
    await writeFile(store.pathFor(id), Buffer.alloc(bytes));
    await store.added(id);
  }

  it('removes the oldest clips first and is never above maxBytes once a clip is in', async () => {
    const removed: string[] = [];
    const store = await ClipStore.create({ dir: await folder(), maxBytes: 1000, days: 0, onRemoved: (id) => removed.push(id) });
    for (let i = 1; i <= 6; i++) {
      await put(store, `${i}.0-abcdef`, 300);
      assert.ok(store.bytes <= 1000, `within the budget after clip ${i} (${store.bytes})`);
    }
    assert.deepEqual(removed, ['1.0-abcdef', '2.0-abcdef', '3.0-abcdef']);
    assert.deepEqual(store.ids(), ['4.0-abcdef', '5.0-abcdef', '6.0-abcdef']);
    assert.deepEqual((await readdir(store.pathFor('4.0-abcdef').replace(/\/[^/]+$/, ''))).sort(), ['4.0-abcdef.mp4', '5.0-abcdef.mp4', '6.0-abcdef.mp4']);
  });

  it('makes room before a clip is moved in, so the folder is never over maxBytes, not even for a moment', async () => {
    const removed: string[] = [];
    const dir = await folder();
    const store = await ClipStore.create({ dir, maxBytes: 1000, days: 0, onRemoved: (id) => removed.push(id) });
    for (let i = 1; i <= 3; i++) await put(store, `${i}.0-abcdef`, 300);
    await store.makeRoom(300);
    assert.deepEqual(removed, ['1.0-abcdef'], 'the oldest goes first, and only as much as the new clip needs');
    assert.ok(store.bytes + 300 <= 1000);
    await put(store, '4.0-abcdef', 300);
    assert.deepEqual(removed, ['1.0-abcdef'], 'nothing more had to go once the clip was in');
    assert.deepEqual((await readdir(dir)).sort(), ['2.0-abcdef.mp4', '3.0-abcdef.mp4', '4.0-abcdef.mp4']);
  });

  it('a clip larger than the whole budget is not kept', async () => {
    const store = await ClipStore.create({ dir: await folder(), maxBytes: 100, days: 0 });
    await put(store, '1.0-abcdef', 101);
    assert.equal(store.has('1.0-abcdef'), false);
    assert.equal(store.bytes, 0);
  });

  it('clips older than `days` go, by the injected clock', async () => {
    let now = 1_000_000_000_000;
    const store = await ClipStore.create({ dir: await folder(), maxBytes: 0, days: 1, now: () => now });
    await put(store, '1.0-abcdef', 10);
    now += 86_400_000 / 2;
    await put(store, '2.0-abcdef', 10);
    now += 86_400_000 / 2 + 1;
    await put(store, '3.0-abcdef', 10);
    assert.deepEqual(store.ids(), ['2.0-abcdef', '3.0-abcdef']);
  });

  it('a clip being read is not deleted under its reader: it leaves the index and goes at the last release', async () => {
    const dir = await folder();
    const store = await ClipStore.create({ dir, maxBytes: 500, days: 0 });
    await put(store, '1.0-abcdef', 300);
    const reader = store.open('1.0-abcdef')!;
    await put(store, '2.0-abcdef', 300);
    assert.equal(store.has('1.0-abcdef'), false, 'no new reader gets it');
    assert.ok((await readdir(dir)).includes('1.0-abcdef.mp4'), 'still on disk for the reader');
    reader.release();
    reader.release();
    // the file goes by an asynchronous unlink: wait for it, not for a tick
    await until('the released clip is deleted', async () => (await readdir(dir)).length === 1);
    assert.deepEqual(await readdir(dir), ['2.0-abcdef.mp4']);
  });

  it('a restart finds the clips left (oldest first), drops half-written ones, and frees space on demand', async () => {
    const dir = await folder();
    const first = await ClipStore.create({ dir, maxBytes: 0, days: 0 });
    await put(first, '2.0-abcdef', 100);
    await put(first, '1.0-abcdef', 100);
    // the file times say which is older, whatever the names say
    await utimes(first.pathFor('2.0-abcdef'), 2000, 2000);
    await utimes(first.pathFor('1.0-abcdef'), 1000, 1000);
    await writeFile(`${dir}/3.0-abcdef.mp4.part`, 'x');
    await writeFile(`${dir}/notes.txt`, 'x');
    const again = await ClipStore.create({ dir, maxBytes: 0, days: 0 });
    assert.deepEqual(again.ids(), ['1.0-abcdef', '2.0-abcdef']);
    assert.equal(again.bytes, 200);
    assert.ok(!(await readdir(dir)).includes('3.0-abcdef.mp4.part'));
    assert.equal(await again.free(50), 100, 'the oldest clip went');
    assert.deepEqual(again.ids(), ['2.0-abcdef']);
    assert.throws(() => again.pathFor('../x'), /not an event id/);
  });
});
