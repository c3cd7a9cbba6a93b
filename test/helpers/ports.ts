// Moved to bench/support/ports.js so production-side code (bench, demo) can use it without importing test/; re-exported for the tests.
export { freePort } from '../../bench/support/ports.js';
