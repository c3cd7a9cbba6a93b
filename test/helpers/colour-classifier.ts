// Lives in models/colour-classifier.js so the classify bench can use it without importing test/; re-exported for the tests.
export { COLOUR_LABELS, buildColourClassifier, writeColourClassifier } from '../../models/colour-classifier.js';
