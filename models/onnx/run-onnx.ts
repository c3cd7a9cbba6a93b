// Runs an ONNX file once on one float input in onnxruntime-node (on the calling thread: for short checks such as
// comparing an export with the model it came from, not for serving).
import * as ort from 'onnxruntime-node';

export async function runOnnxOnce(modelPath: string, input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const name = session.inputNames[0]!;
    const outputs = await session.run({ [name]: new ort.Tensor('float32', input, [...dims]) });
    const out = outputs[session.outputNames[0]!]!;
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}
