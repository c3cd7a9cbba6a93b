// A class-folder dataset can change while `lookout train` reads it: the Teach page moves crops between class folders,
// the collector adds new ones, a person deletes one. A model trained on a mix of the old and the new is not the
// dataset its card names, so training notes every image's size and modification time when the dataset is opened and,
// before anything is moved into place, lists and stats it again; any difference fails the run with a message that
// names the first file that changed (nothing is written: train-output.ts stages everything). An image gone while it
// was being decoded gets the same message instead of the decoder's.
import { stat } from 'node:fs/promises';
import { LookoutError } from '../core/errors.js';
import { openTrainDataset, type TrainDataset } from './train-data.js';

interface Seen {
  path: string;
  label: number;
  size: number;
  mtimeMs: number;
}

export class DatasetWatch {
  private constructor(
    private readonly spec: string,
    private readonly seen: readonly Seen[],
  ) {}

  /** Notes the state of each image of a folder dataset (an IDX file set is not watched: nothing edits one in place). */
  static async start(spec: string, dataset: TrainDataset): Promise<DatasetWatch> {
    if (dataset.kind !== 'folder') return new DatasetWatch(spec, []);
    const seen: Seen[] = [];
    for (const item of dataset.items) {
      const s = await stat(item.path).catch(() => undefined);
      if (!s) throw changed(spec, `${item.path} is gone (moved or deleted)`);
      seen.push({ path: item.path, label: item.label, size: s.size, mtimeMs: s.mtimeMs });
    }
    return new DatasetWatch(spec, seen);
  }

  /** Throws LOOKOUT_ERR_TRAIN naming what changed since start(). */
  async check(): Promise<void> {
    if (this.seen.length === 0) return;
    const again = await openTrainDataset(this.spec).catch(() => undefined);
    if (!again || again.kind !== 'folder') throw changed(this.spec, 'it cannot be read as the same class folders any more');
    const now = new Map(again.items.map((i) => [i.path, i.label]));
    for (const s of this.seen) {
      if (!now.has(s.path)) throw changed(this.spec, `${s.path} is gone (moved or deleted)`);
      if (now.get(s.path) !== s.label) throw changed(this.spec, `${s.path} is in another class now`);
      const st = await stat(s.path).catch(() => undefined);
      if (!st) throw changed(this.spec, `${s.path} is gone (moved or deleted)`);
      if (st.size !== s.size || st.mtimeMs !== s.mtimeMs) throw changed(this.spec, `${s.path} was modified`);
    }
    const known = new Set(this.seen.map((s) => s.path));
    const added = again.items.find((i) => !known.has(i.path));
    if (added) throw changed(this.spec, `${added.path} was added`);
  }

  /** A read that failed (an image gone while it was decoded): the dataset's change when there is one, else `err`. */
  async explain(err: unknown): Promise<unknown> {
    try {
      await this.check();
    } catch (change) {
      return change;
    }
    return err;
  }
}

function changed(spec: string, what: string): LookoutError {
  return new LookoutError('LOOKOUT_ERR_TRAIN', `${spec}: the dataset changed while training (${what}); nothing was written, train again`);
}
