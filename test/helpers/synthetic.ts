// Moved to bench/support/synthetic.js so production-side code (bench, demo) can use it without importing test/; re-exported for the tests.
export { DEFAULT_SCENE, frameCount, frameTime, squarePosition, lavfiSpec, renderSquareClip, decodeFramesRgb, findRedBox } from '../../bench/support/synthetic.js';
export type { SquareScene, RenderOptions } from '../../bench/support/synthetic.js';
