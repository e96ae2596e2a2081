// TensorFlow.js for training: the union package (it registers the gradients that tfjs-core alone lacks) on the WASM
// backend (XNNPACK, SIMD), or the pure-JS CPU backend. Node-only offline tooling.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type Backend = "wasm" | "cpu";

export async function initTf(backend: Backend = "wasm"): Promise<typeof tf> {
  if (backend !== "wasm" && backend !== "cpu") throw new RangeError(`backend must be "wasm" or "cpu", got ${JSON.stringify(backend)}`);
  if (tf.getBackend() !== backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend "${backend}" failed to start`);
  }
  await tf.ready();
  return tf;
}

export { tf };
