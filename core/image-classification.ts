// One still image through a trained classifier (POST /api/classify?model=NAME): the composition root hands sinks this
// function, so the HTTP layer never loads a model itself.

export interface ImageClassification {
  /** the model's name as asked for */
  model: string;
  /** every class with its probability, best first */
  probabilities: { label: string; score: number }[];
  /** the model run the image went through (other crops may have shared it) */
  inferenceMs: number;
}

/**
 * Classifies an encoded image (JPEG, PNG) with the trained model NAME. Rejects with LOOKOUT_ERR_MODEL_LOAD when there
 * is no such model (a bare name only: never a path), LOOKOUT_ERR_MEDIA when the bytes are not an image.
 */
export type ClassifyImage = (bytes: Uint8Array, model: string, what: string) => Promise<ImageClassification>;
