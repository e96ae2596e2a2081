// A pool thread that evaluates HE products for the server. It loads SEAL, rebuilds the contexts and the client's
// public and Galois keys from the worker data once, then runs one product task per call.
import { workerData } from "piscina";
import { HeContext } from "./context.js";
import { evaluateProduct, type ProductTask } from "./evaluate.js";
import { serverPrimes, type ServerKeyMaterial } from "./session.js";

const material = workerData as ServerKeyMaterial;
const ctx = await HeContext.create(material.params, material.plainModuli);
const primes = serverPrimes(ctx, material);

/** Evaluates one task; `null` only reports that the thread is ready. */
export default function run(task: ProductTask | null): Uint8Array[] {
  return task === null ? [] : evaluateProduct(ctx.seal, primes[task.prime], task);
}
