// Loads Microsoft SEAL (node-seal 6.0.3, the last release that runs on Node 20) once per thread.
import sealModule from "node-seal";
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
  // The package is CommonJS: Node hands over module.exports (the factory) as the default export, while its typings
  // describe an ES module whose default is the factory; accept both shapes.
  const m = sealModule as unknown as { default?: () => Promise<Seal> };
  const factory = typeof m === "function" ? (m as () => Promise<Seal>) : m.default;
  if (typeof factory !== "function") throw new TypeError("node-seal: no factory function in the module");
  return (loading ??= factory());
}
