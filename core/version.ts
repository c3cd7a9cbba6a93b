// Lookout's own version, read once from package.json (the CLI's --version, model cards, the Frigate API's version).
import { readFileSync } from 'node:fs';

export const LOOKOUT_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
