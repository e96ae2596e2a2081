// The server's HE worker threads in Node (piscina), for HeBackend.startWorkers. Kept apart from the backends so
// that code running only the client (a browser page) never loads a thread library.
import type { HeThreads } from "./backend.js";
import { HePool } from "./pool.js";
import { SimdPool, sharingSimdThreads } from "./simd/pool.js";

export const nodeHeThreads: HeThreads = {
  seal: (session, threads) => HePool.create(session, { threads }),
  // While shareSimdThreads is on, a session joins the process's shared threads rather than starting its own.
  simd: (params, server, threads) => (sharingSimdThreads() ? SimdPool.shared(params, server) : SimdPool.create(params, server, threads)),
};
