// `${VAR}` substitution, done on parsed string values (not on the raw text) so a secret containing YAML syntax
// cannot change the structure of the file. `$${VAR}` is a literal `${VAR}`.
import { formatPath, type Issues, type Path } from './schema-kit.js';

const PLACEHOLDER = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, issues: Issues, path: Path = []): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, escape: string, name: string, fallback: string | undefined) => {
      if (escape) return whole.slice(1);
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      issues.add(path, `environment variable ${name} is not set (used as \${${name}})`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, issues, [...path, k]);
    return out;
  }
  return value;
}

export { formatPath };
