// One WebAssembly module: every kernel file re-exported here. Memory is imported and owned by TypeScript
// (src/core/wasm.ts hands out pointers); kernels never allocate.
export * from "./ring";
export * from "./matmul";
export * from "./bits";
export * from "./aes";
export * from "./prune";
export * from "./rlwe";
export * from "./ferret";
export * from "./mpc";
export * from "./aes-bitsliced";
