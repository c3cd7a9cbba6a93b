// Moved to models/square-detector.js so production-side code (bench, demo) can use it without importing test/; re-exported for the tests.
export { SQUARE_INPUT, SQUARE_OUTPUT, RED_THRESHOLD, buildSquareDetector, writeSquareDetector, squareTensor, expectedSquareOutput, writeSquareModel } from '../../models/square-detector.js';
export type { SquareDetectorFault, SquareDetectorOptions, SquareAt } from '../../models/square-detector.js';
