import assert from 'node:assert/strict';
import { COMMANDS, commandHelp, helpText, parseCommandLine, type CommandName } from '../../cli/options.js';
import { isLookoutError } from '../../core/errors.js';

const usageError = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (err) {
    assert.ok(isLookoutError(err) && err.code === 'LOOKOUT_ERR_USAGE', String(err));
    return err.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
};

describe('CLI options (one table per command)', () => {
  it('refuses an option the command does not take, naming it and the command, on one line', () => {
    const message = usageError(['run', '-c', 'x.yaml', '--threshold', '0.9']);
    assert.match(message, /^run: --threshold is not an option of lookout run \(it takes -c\/--config, --json, --from; see lookout run --help\)$/);
    assert.match(usageError(['validate', '-c', 'x.yaml', '--from', 'd']), /^validate: --from is not an option of lookout validate/);
    assert.match(usageError(['detect', 'a.jpg', '--model', 'm', '--dataset', 'd']), /^detect: --dataset is not an option/);
    assert.match(usageError(['demo', '--print']), /^demo: --print is not an option/);
    assert.match(usageError(['frobnicate']), /unknown command "frobnicate"/);
  });

  it("accepts each command's own options and the global ones", () => {
    const run = parseCommandLine(['run', '-c', 'x.yaml', '--json', '--verbose']);
    assert.deepEqual(run.kind === 'command' && [run.command, run.values.config, run.values.json, run.values.verbose], ['run', 'x.yaml', true, true]);
    const detect = parseCommandLine(['detect', 'a.jpg', 'b.mp4', '-m', 'm.onnx', '--threshold', '0.9']);
    assert.deepEqual(detect.kind === 'command' && [detect.positionals, detect.values.model, detect.values.threshold], [['a.jpg', 'b.mp4'], 'm.onnx', '0.9']);
    assert.deepEqual(parseCommandLine(['eval', '--help']), { kind: 'help', command: 'eval' });
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' });
    assert.deepEqual(parseCommandLine([]), { kind: 'none' });
  });

  it('generates the help from the same tables: every option of every command is listed under it', () => {
    const help = helpText();
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      const section = commandHelp(name);
      assert.ok(help.includes(section), `the help has the ${name} section`);
      for (const option of Object.keys(COMMANDS[name].options)) assert.match(section, new RegExp(`--${option}\\b`), `${name} --${option}`);
    }
    assert.doesNotMatch(commandHelp('run'), /--threshold/);
    assert.match(help, /lookout run -c FILE/);
  });
});
