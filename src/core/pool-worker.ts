// A pool thread: instantiates the shared-memory kernel module over the pool's memory (both arrive in the worker
// data) and runs one kernel call per task. Loaded by piscina from the compiled dist/ file.
import { workerData } from "piscina";
import type { KernelCall } from "./pool.js";
import { Wasm } from "./wasm.js";

const { memory, module } = workerData as { memory: WebAssembly.Memory; module: WebAssembly.Module };
const kernels = new Wasm(memory, module).k;

export default function run(call: KernelCall): void {
  const f = kernels[call.kernel];
  if (typeof f !== "function") throw new TypeError(`kernel: no kernel named ${call.kernel}`);
  f(...(call.args as number[]));
}
