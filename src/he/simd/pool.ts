// Worker threads (piscina, Node) for the simd backend's server work. Each thread builds its own RLWE context and
// holds the client's public and Galois keys (sent once, at start); tasks are evaluate.ts's two phases, whose
// uploads and intermediate answers live in shared memory.
import type { SimdParams } from "./params.js";
import type { GroupAnswer, ServerKeys, SimdTask } from "./evaluate.js";
import type { RlweContext } from "./scheme.js";
import { rlweContext } from "./scheme.js";

/** What a worker needs: the parameters and the server's keys as plain arrays. */
export interface SimdWorkerData {
  params: SimdParams;
  pk: { b: Uint32Array; a: Uint32Array };
  keys: { g: number; k0: Uint32Array; k1: Uint32Array }[];
}

/** Under a TypeScript test runner this module is src/he/simd/pool.ts: use the worker compiled to dist/. */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../../dist/src/he/simd/worker.js", here) : new URL("./worker.js", here);
}

/** The keys as arrays (for the workers), and back into a context's memory (in the worker). */
export function exportKeys(ctx: RlweContext, server: ServerKeys, params: SimdParams): SimdWorkerData {
  const top = ctx.top;
  const copy = (ptr: number, count: number) => ctx.rns.view(ptr, count).slice();
  return {
    params,
    pk: { b: copy(server.pk.b, top), a: copy(server.pk.a, top) },
    keys: [...server.keys.values()].map((k) => ({ g: k.g, k0: copy(k.k0, ctx.galoisVectors), k1: copy(k.k1, ctx.galoisVectors) })),
  };
}

export function importKeys(data: SimdWorkerData): { ctx: RlweContext; server: ServerKeys } {
  const ctx = rlweContext(data.params);
  const load = (arr: Uint32Array, count: number) => {
    const ptr = ctx.alloc(count);
    ctx.rns.view(ptr, count).set(arr);
    return ptr;
  };
  const pk = { b: load(data.pk.b, ctx.top), a: load(data.pk.a, ctx.top) };
  const keys = new Map(data.keys.map((k) => [k.g, { g: k.g, k0: load(k.k0, ctx.galoisVectors), k1: load(k.k1, ctx.galoisVectors) }]));
  return { ctx, server: { pk, keys } };
}

export class SimdPool {
  private constructor(
    readonly threads: number,
    private readonly piscina: { run(task: SimdTask | null): Promise<GroupAnswer | null>; close(): Promise<void> },
  ) {}

  /** Starts the threads with the server's keys and waits until each has loaded them. */
  static async create(params: SimdParams, server: ServerKeys, threads: number, workerUrl = defaultWorkerUrl()): Promise<SimdPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`SimdPool: threads must be a positive integer, got ${threads}`);
    const { Piscina } = await import("piscina");
    const piscina = new Piscina<SimdTask | null, GroupAnswer | null>({
      filename: workerUrl.href,
      minThreads: threads,
      maxThreads: threads,
      workerData: exportKeys(rlweContext(params), server, params),
    });
    try {
      await Promise.all(Array.from({ length: threads }, () => piscina.run(null)));
    } catch (e) {
      await piscina.close();
      throw e;
    }
    return new SimdPool(threads, piscina);
  }

  /** Runs the tasks concurrently, largest first; results in task order. */
  run(tasks: SimdTask[]): Promise<(GroupAnswer | null)[]> {
    const cost = (t: SimdTask) => (t.kind === "mac" ? t.layout.rb * t.layout.cb * t.layout.pack : 4 * t.layout.pack * t.layout.L);
    const order = tasks.map((t, i) => ({ i, c: cost(t) })).sort((a, b) => b.c - a.c);
    const out = new Array<GroupAnswer | null>(tasks.length);
    return Promise.all(order.map(({ i }) => this.piscina.run(tasks[i]).then((r) => (out[i] = r)))).then(() => out);
  }

  close(): Promise<void> {
    return this.piscina.close();
  }
}
