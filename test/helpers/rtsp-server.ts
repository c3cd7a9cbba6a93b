// Moved to bench/support/rtsp-server.js so benches can use it without importing test/; re-exported for the tests.
export { RTSP_SERVER_SCRIPT, RtspServer, rtspServerUnavailable } from '../../bench/support/rtsp-server.js';
export type { RtspServerOptions } from '../../bench/support/rtsp-server.js';
