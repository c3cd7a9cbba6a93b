// Moved to bench/support/processes.js so production-side code (bench, demo) can use it without importing test/; re-exported for the tests.
export { childProcesses, childPids, waitForNoChildren } from '../../bench/support/processes.js';
export type { ProcessInfo, WaitForNoChildrenOptions } from '../../bench/support/processes.js';
