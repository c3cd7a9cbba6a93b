// Temporary directories for fixtures a test writes (clips, models, snapshots), removed when the test is done.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TmpDir {
  dir: string;
  /** removes the directory and everything in it; safe to call more than once */
  cleanup(): Promise<void>;
}

export async function makeTmpDir(prefix = 'lookout-test-'): Promise<TmpDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * For a `describe` block: creates the directory in a `before` hook and removes it in an `after` hook. Returns a getter
 * because the directory exists only once the hooks have run.
 */
export function useTmpDir(prefix?: string): () => string {
  let tmp: TmpDir | undefined;
  before(async () => {
    tmp = await makeTmpDir(prefix);
  });
  after(async () => {
    await tmp?.cleanup();
    tmp = undefined;
  });
  return () => {
    if (tmp === undefined) throw new Error('useTmpDir: the directory exists only between the before and after hooks');
    return tmp.dir;
  };
}
