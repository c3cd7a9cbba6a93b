// Fuzzing a running Lookout: a bounded time budget (LOOKOUT_FUZZ_SECONDS, default 20 for all suites together), a seed
// that is printed and can be replayed (LOOKOUT_FUZZ_SEED), batches of fast-check samples thrown at the target with
// bounded concurrency, and a liveness check after every batch. Input kinds (HTTP, WebSocket, MQTT payloads, configs)
// bring their own arbitraries and `send`; what is shared is the loop, the budget, raw loopback I/O and the mutators.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** The whole fuzz budget in seconds, shared by every suite that calls `fuzzShare`. */
export function fuzzSeconds(): number {
  const s = Number(process.env.LOOKOUT_FUZZ_SECONDS ?? 20);
  return Number.isFinite(s) && s > 0 ? s : 20;
}

/** The seed to replay (LOOKOUT_FUZZ_SEED), or a fresh one; printed by `fuzz()` so a failure can be replayed. */
export function fuzzSeed(): number {
  const fixed = process.env.LOOKOUT_FUZZ_SEED;
  return fixed !== undefined && fixed !== '' ? Number(fixed) | 0 : randomBytes(4).readInt32LE(0);
}

export interface FuzzTarget<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** throws the input at the target; its own failures (refused, reset) are the target's right, so it never rejects */
  send(input: T): Promise<void>;
  /** after every batch: throws when the target is no longer well (dead, not answering, not detecting) */
  check(): Promise<void>;
  seconds: number;
  seed: number;
  batchSize?: number;
  concurrency?: number;
}

export interface FuzzReport {
  name: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  seed: number;
}

/** Runs batches until the time is up; a failed check names the seed and batch and shows a few of the batch's inputs. */
export async function fuzz<T>(t: FuzzTarget<T>): Promise<FuzzReport> {
  const batchSize = t.batchSize ?? 200;
  const concurrency = t.concurrency ?? 16;
  const start = Date.now();
  let inputs = 0;
  for (let batch = 0; Date.now() - start < t.seconds * 1000; batch++) {
    const samples = fc.sample(t.arbitrary, { seed: t.seed + batch, numRuns: batchSize });
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < samples.length) await t.send(samples[next++]!);
      }),
    );
    inputs += samples.length;
    try {
      await t.check();
    } catch (err) {
      const shown = samples.slice(0, 5).map((s) => JSON.stringify(s).slice(0, 300));
      throw new Error(`${t.name}: after batch ${batch} (LOOKOUT_FUZZ_SEED=${t.seed}, sample seed ${t.seed + batch}): ${(err as Error).message}\nsome inputs of that batch:\n${shown.join('\n')}`);
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const report = { name: t.name, inputs, seconds, perSecond: inputs / seconds, seed: t.seed };
  console.log(`      fuzz ${t.name}: ${inputs} inputs in ${seconds.toFixed(1)} s = ${report.perSecond.toFixed(0)}/s (LOOKOUT_FUZZ_SEED=${t.seed})`);
  return report;
}

/** A string with some of its characters replaced, dropped or doubled, and escapes, quotes and controls spliced in. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const splice = fc.constantFrom('%', '%E0%A4%A', '%zz', '%00', '%%', '\u0000', '\r\n', '\n', ';', '=', '"', '\\', '[', ']', '//', '..', '\uFFFF', '\uD800', ' ', '\t', '{', '#', '?', '@', ':');
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.oneof(splice, fc.string({ maxLength: 8 }), fc.constant(''))), { maxLength: 6 })).map(([s, edits]) => {
    let out = s;
    for (const [at, ins] of edits) {
      const i = out.length === 0 ? 0 : at % (out.length + 1);
      out = out.slice(0, i) + ins + out.slice(i + (at % 3 === 0 ? 1 : 0));
    }
    return out;
  });
}

/** Any text at all, ASCII to lone surrogates: what a header or URL might carry. */
export const anyText = (maxLength = 200): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: fc.constantFrom(...'%E0A4zZ/[]:@?#&=;.'), maxLength }));

/**
 * Writes raw bytes on a fresh loopback connection and resolves with the status line of the first answer ('' when the
 * server said nothing before closing or before `timeoutMs`). Never rejects: a reset is an answer too.
 */
export function rawRequest(port: number, bytes: Buffer | string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer.split('\r\n', 1)[0] ?? '');
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
      if (answer.includes('\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
  });
}

/** A client-to-server WebSocket frame (masked, as the protocol demands), for clients written on a raw socket. */
export function maskedFrame(payload: Buffer | string, opcode = 0x1, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
  }
  const mask = randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

/** Resident memory of a process in MB (VmRSS from /proc), or 0 when it is gone. */
export function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples `rssMB(pid)` every `everyMs` until stopped; `stop()` returns the peak. */
export function watchRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssMB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMB(pid))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMB(pid));
    },
  };
}
