// Lists the processes this test run has started, from /proc (Linux), so a suite can fail when an ffmpeg or a server
// outlives the test that spawned it.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** executable name as the kernel reports it (at most 15 characters) */
  comm: string;
  /** `R`, `S`, `Z` (exited, not yet reaped) … */
  state: string;
}

function readProcess(pid: number): ProcessInfo | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone between readdir and read
  }
  // comm is in parentheses and may itself contain spaces or ')': the last ')' ends it
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(open + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]) };
}

/** Every descendant of `pid` (children, grandchildren …), zombies included, parents before their children. */
export function childProcesses(pid: number = process.pid): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info === null) continue;
    const siblings = byParent.get(info.ppid);
    if (siblings) siblings.push(info);
    else byParent.set(info.ppid, [info]);
  }
  const out: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift() as number) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

export function childPids(pid: number = process.pid): number[] {
  return childProcesses(pid).map((p) => p.pid);
}

export interface WaitForNoChildrenOptions {
  pid?: number;
  /** default 2000 */
  timeoutMs?: number;
  /** only these count (e.g. `p => p.comm === 'ffmpeg'`) */
  filter?: (p: ProcessInfo) => boolean;
}

/**
 * Polls until no (matching) descendant is left, since a stopped child takes a moment to exit and be reaped.
 * Resolves with what is still there at the deadline: an empty array means clean.
 */
export async function waitForNoChildren(opts: WaitForNoChildrenOptions = {}): Promise<ProcessInfo[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 2000);
  for (;;) {
    const left = childProcesses(opts.pid).filter(opts.filter ?? (() => true));
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(25);
  }
}
