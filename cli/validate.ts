// `lookout validate -c FILE`: exit 0 with a short summary when valid; a config error (exit 2) otherwise.
import { loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';

export async function validateCommand(file: string, opts: { print: boolean; write: (line: string) => void }): Promise<number> {
  const config = await loadConfig(file);
  // passwords (camera and MQTT) are masked: the printout ends up in terminals, tickets and bug reports
  if (opts.print) opts.write(JSON.stringify(redactConfig(config), null, 2));
  else opts.write(`${file}: valid (${config.cameras.length} camera${config.cameras.length === 1 ? '' : 's'}, model ${config.model.path})`);
  return 0;
}
