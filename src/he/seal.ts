// Loads Microsoft SEAL (node-seal 6.0.3, the last release that runs on Node 20) once per thread, on first use: only
// the seal backend needs it, and a page on the default backend then never fetches its 1.7 MB (web/build.mjs splits
// the dynamic import into a chunk of its own).
import type { SEALLibrary } from "node-seal/implementation/seal.js";

export type Seal = SEALLibrary;
export type Context = ReturnType<Seal["Context"]>;
export type CipherText = ReturnType<Seal["CipherText"]>;
export type PlainText = ReturnType<Seal["PlainText"]>;
export type Evaluator = ReturnType<Seal["Evaluator"]>;
export type BatchEncoder = ReturnType<Seal["BatchEncoder"]>;
export type Encryptor = ReturnType<Seal["Encryptor"]>;
export type Decryptor = ReturnType<Seal["Decryptor"]>;
export type GaloisKeys = ReturnType<Seal["GaloisKeys"]>;
export type PublicKey = ReturnType<Seal["PublicKey"]>;
export type SecretKey = ReturnType<Seal["SecretKey"]>;
export type KeyGenerator = ReturnType<Seal["KeyGenerator"]>;

let loading: Promise<Seal> | undefined;

/** The SEAL library of this thread (its WASM heap is per thread and never shrinks: delete every object). */
export function seal(): Promise<Seal> {
  return (loading ??= load());
}

async function load(): Promise<Seal> {
  // The default export is the factory: module.exports of the CommonJS package in Node, the ES web build's default in
  // a page.
  const { default: factory } = (await import("node-seal")) as unknown as { default?: unknown };
  if (typeof factory !== "function") throw new TypeError("node-seal: no factory function in the module");
  return (factory as () => Promise<Seal>)();
}
