// `lookout validate -c FILE`: exit 0 with a short summary when valid; a config error (exit 2) listing every problem
// otherwise: the schema's, then what `run` would refuse before starting (cli/static-checks.ts).
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';
import { LookoutError } from '../core/errors.js';
import { staticProblems } from './static-checks.js';

export async function validateCommand(file: string, opts: { print: boolean; json?: boolean; write: (line: string) => void }): Promise<number> {
  const config = await loadConfig(file);
  const problems = await staticProblems(config);
  if (problems.length > 0) {
    const head = problems.length === 1 ? `${file}: invalid config: ${problems[0]}` : `${file}: invalid config (${problems.length} problems):\n  ${problems.join('\n  ')}`;
    throw new LookoutError('LOOKOUT_ERR_CONFIG', head);
  }
  // passwords (camera and MQTT) are masked: the printout ends up in terminals, tickets and bug reports
  if (opts.print) {
    const printed = redactConfig(config);
    // YAML by default: the form the file is written in, ready to paste back
    opts.write(opts.json ? JSON.stringify(printed, null, 2) : toYaml(printed, { lineWidth: 0 }).trimEnd());
  } else if (opts.json) opts.write(JSON.stringify({ file, valid: true, cameras: config.cameras.length, model: config.model.path }));
  else opts.write(`${file}: valid (${config.cameras.length} camera${config.cameras.length === 1 ? '' : 's'}, model ${config.model.path})`);
  return 0;
}
