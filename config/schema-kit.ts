// A small validator: each schema checks one value, fills defaults and reports problems with the path that holds them.
// Hand-written instead of a library so that error messages read the way our docs promise:
// `cameras[1].fps: must be a positive number`.

export type Path = readonly (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(root)' : out;
}

export class Issues {
  readonly list: string[] = [];
  add(path: Path, reason: string): void {
    this.list.push(`${formatPath(path)}: ${reason}`);
  }
  /** a message that already names its path */
  addMessage(message: string): void {
    this.list.push(message);
  }
}

/** What a schema accepts, in words and structure: read by the generated configuration reference (config/reference.ts). */
export interface SchemaInfo {
  /** the value in words: `a number from 0 to 1`, `tcp | udp`, `list of string` */
  readonly type: string;
  /** obj: its keys */
  readonly fields?: Readonly<Record<string, Schema<unknown>>>;
  /** list: its items */
  readonly item?: Schema<unknown>;
  /** record: its values (the keys are names the user picks) */
  readonly value?: Schema<unknown>;
}

/** Parses `value` (found at `path`) into a T, recording problems in `issues`. Returns undefined when invalid. */
export interface Schema<T> {
  parse(value: unknown, path: Path, issues: Issues): T | undefined;
  /** present in an object when the key is missing: undefined means required */
  readonly fallback?: () => T;
  readonly optional?: boolean;
  readonly info?: SchemaInfo;
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

export function str(opts: { pattern?: RegExp; patternText?: string; nonEmpty?: boolean } = {}): Schema<string> {
  return {
    info: { type: opts.pattern ? `string: ${opts.patternText ?? opts.pattern.source}` : 'string' },
    parse(v, path, issues) {
      if (typeof v !== 'string') return void issues.add(path, `must be a string, got ${describe(v)}`);
      if (opts.nonEmpty !== false && v.length === 0) return void issues.add(path, 'must not be empty');
      if (opts.pattern && !opts.pattern.test(v)) return void issues.add(path, `must match ${opts.patternText ?? opts.pattern.source}, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

/** A password or token: a string whose value no error message repeats. */
export function secret(): Schema<string> {
  return {
    info: { type: 'string (secret: never printed)' },
    parse(v, path, issues) {
      if (typeof v !== 'string') return void issues.add(path, `must be a string (quote it in YAML), got ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`}`);
      return v;
    },
  };
}

export function num(opts: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean; what?: string } = {}): Schema<number> {
  const what = opts.what ?? (opts.integer ? 'an integer' : 'a number');
  return {
    info: { type: what },
    parse(v, path, issues) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return void issues.add(path, `must be ${what}, got ${describe(v)}`);
      if (opts.integer && !Number.isInteger(v)) return void issues.add(path, `must be ${what}, got ${v}`);
      if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) return void issues.add(path, `must be ${what}, got ${v}`);
      if (opts.max !== undefined && v > opts.max) return void issues.add(path, `must be ${what}, got ${v}`);
      return v;
    },
  };
}

export const positive = (what = 'a positive number') => num({ min: 0, exclusiveMin: true, what });
export const fraction = () => num({ min: 0, max: 1, what: 'a number from 0 to 1' });

export function bool(): Schema<boolean> {
  return {
    info: { type: 'true or false' },
    parse(v, path, issues) {
      if (typeof v !== 'boolean') return void issues.add(path, `must be true or false, got ${describe(v)}`);
      return v;
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return {
    info: { type: `one of ${values.join(', ')}` },
    parse(v, path, issues) {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
        return void issues.add(path, `must be one of ${values.join(', ')}, got ${describe(v)}`);
      }
      return v as T;
    },
  };
}

export function list<T>(item: Schema<T>, opts: { minLength?: number } = {}): Schema<T[]> {
  return {
    info: { type: `list of ${item.info?.type ?? 'values'}${opts.minLength ? ` (at least ${opts.minLength})` : ''}`, item: item as Schema<unknown> },
    parse(v, path, issues) {
      if (!Array.isArray(v)) return void issues.add(path, `must be a list, got ${describe(v)}`);
      if (opts.minLength !== undefined && v.length < opts.minLength) return void issues.add(path, `must have at least ${opts.minLength} item(s)`);
      const out: T[] = [];
      let ok = true;
      v.forEach((x, i) => {
        const parsed = item.parse(x, [...path, i], issues);
        if (parsed === undefined) ok = false;
        else out.push(parsed);
      });
      return ok ? out : undefined;
    },
  };
}

/** A map with free-form keys (zone names, labels) and uniform values. */
export function record<T>(value: Schema<T>, opts: { keyPattern?: RegExp; keyText?: string } = {}): Schema<Record<string, T>> {
  return {
    info: { type: `map of names${opts.keyPattern ? ` (${opts.keyText ?? opts.keyPattern.source})` : ''} to ${value.info?.fields ? 'settings' : value.info?.type ?? 'values'}`, value: value as Schema<unknown> },
    parse(v, path, issues) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return void issues.add(path, `must be a map, got ${describe(v)}`);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [k, x] of Object.entries(v)) {
        if (opts.keyPattern && !opts.keyPattern.test(k)) {
          issues.add([...path, k], `name must match ${opts.keyText ?? opts.keyPattern.source}`);
          ok = false;
          continue;
        }
        const parsed = value.parse(x, [...path, k], issues);
        if (parsed === undefined) ok = false;
        else out[k] = parsed;
      }
      return ok ? out : undefined;
    },
  };
}

export function withDefault<T>(schema: Schema<T>, fallback: T | (() => T)): Schema<T> {
  return { parse: schema.parse, info: schema.info, fallback: typeof fallback === 'function' ? (fallback as () => T) : () => structuredClone(fallback) };
}

export type OptionalSchema<T> = Schema<T | undefined> & { readonly optional: true };

export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return { parse: schema.parse, info: schema.info, optional: true };
}

export function refine<T>(schema: Schema<T>, check: (v: T) => string | undefined): Schema<T> {
  return {
    ...schema,
    parse(v, path, issues) {
      const parsed = schema.parse(v, path, issues);
      if (parsed === undefined) return undefined;
      const problem = check(parsed);
      if (problem) return void issues.add(path, problem);
      return parsed;
    },
  };
}

/** A value checked by a function that returns complete `path: reason` messages (shared with non-config callers). */
export function checked<T>(check: (v: unknown, path: string) => string[], type = 'a value'): Schema<T> {
  return {
    info: { type },
    parse(v, path, issues) {
      const problems = check(v, formatPath(path));
      for (const p of problems) issues.addMessage(p);
      return problems.length === 0 ? (v as T) : undefined;
    },
  };
}

/** Unknown keys are rejected (a typo must not silently become a default). */
type ObjOut<S extends Record<string, Schema<unknown>>> = {
  [K in keyof S as S[K] extends { optional: true } ? never : K]: S[K] extends Schema<infer T> ? T : never;
} & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: S[K] extends Schema<infer T> ? T : never;
};

export function obj<S extends Record<string, Schema<unknown>>>(fields: S): Schema<ObjOut<S>> {
  type Out = ObjOut<S>;
  return {
    info: { type: 'settings', fields },
    parse(v, path, issues) {
      if (v === null || v === undefined) v = {};
      if (typeof v !== 'object' || Array.isArray(v)) return void issues.add(path, `must be a map of settings, got ${describe(v)}`);
      const input = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const key of Object.keys(input)) {
        if (!(key in fields)) {
          issues.add([...path, key], `unknown setting (known: ${Object.keys(fields).join(', ')})`);
          ok = false;
        }
      }
      for (const [key, schema] of Object.entries(fields)) {
        if (!(key in input) || input[key] === undefined) {
          if (schema.fallback) out[key] = schema.fallback();
          else if (!schema.optional) {
            issues.add([...path, key], 'is required');
            ok = false;
          }
          continue;
        }
        const parsed = schema.parse(input[key], [...path, key], issues);
        if (parsed === undefined) ok = false;
        else out[key] = parsed;
      }
      return ok ? (out as Out) : undefined;
    },
  };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
