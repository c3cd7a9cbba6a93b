// Moved to bench/support/mosquitto.js so benches can use it without importing test/; re-exported for the tests.
export { MOSQUITTO, Mosquitto, selfSignedCert } from '../../bench/support/mosquitto.js';
export type { MosquittoOptions } from '../../bench/support/mosquitto.js';
