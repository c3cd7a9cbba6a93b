'use strict';
// Mocha's spec reporter, plus one closing line in the plain form CI reads ("N passed, N failed, N skipped", alone on the line):
// CI does not parse mocha's own "N passing" summary, and would judge a run by its exit code alone.
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithSummary extends Spec {
  constructor(runner, options) {
    // with colours off, the ✔ and ✖ marks too: they come from log-symbols, which colours them by its own lights (CI=true)
    if (options.color === false) Object.assign(Mocha.reporters.Base.symbols, { ok: '✔', err: '✖' });
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      process.stdout.write(`${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
