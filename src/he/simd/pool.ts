// Worker threads (piscina, Node) for the simd backend's server work. Each thread builds its own RLWE context and
// holds the client's public and Galois keys; tasks are evaluate.ts's two phases, whose uploads and intermediate
// answers live in shared memory.
// Two kinds of pool run the same tasks, so results do not depend on which: a session's own threads (`create`: the
// keys go to each thread once, at start, and worker.ts runs the tasks), or threads shared by every session of the
// process (`shareSimdThreads`, then `shared`: a server running sessions at once keeps one pool sized to the cores).
// A shared thread runs `runKeyed` below: each task names its session's keys, which live in shared memory; a thread
// loads a key set at its first task and frees it when the session's pool closes (a broadcast to every thread).
import { availableParallelism } from "node:os";
import { BroadcastChannel } from "node:worker_threads";
import type { SimdParams } from "./params.js";
import { runTask, type GroupAnswer, type ServerKeys, type SimdTask } from "./evaluate.js";
import type { RlweContext } from "./scheme.js";
import { rlweContext } from "./scheme.js";

/** What a worker needs: the parameters and the server's keys as plain arrays. */
export interface SimdWorkerData {
  params: SimdParams;
  pk: { b: Uint32Array; a: Uint32Array };
  keys: { g: number; k0: Uint32Array; k1: Uint32Array }[];
}

/** Under a TypeScript test runner this module is src/he/simd/pool.ts: use the modules compiled to dist/. */
function compiledUrl(file: string): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL(`../../../dist/src/he/simd/${file}`, here) : new URL(`./${file}`, here);
}

function defaultWorkerUrl(): URL {
  return compiledUrl("worker.js");
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

/** The same, in shared memory: every task to a shared thread carries the keys without copying them. */
function sharedKeys(data: SimdWorkerData): SimdWorkerData {
  const share = (a: Uint32Array) => {
    const s = new Uint32Array(new SharedArrayBuffer(a.byteLength));
    s.set(a);
    return s;
  };
  return {
    params: data.params,
    pk: { b: share(data.pk.b), a: share(data.pk.a) },
    keys: data.keys.map((k) => ({ g: k.g, k0: share(k.k0), k1: share(k.k1) })),
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

/** A task for a shared thread: the session's key set (its id, and the keys in shared memory) and the task. */
export interface KeyedTask {
  keysId: number;
  keys: SimdWorkerData;
  task: SimdTask | null;
}

const RELEASE_CHANNEL = "cipherprune.simd.keys";

// In a shared thread: the key sets loaded so far, by id, until their session's pool closes.
const loaded = new Map<number, { ctx: RlweContext; server: ServerKeys }>();
let releases: BroadcastChannel | undefined;

/** A shared thread's entry point (piscina `name`): runs the task with its session's keys, loaded once per thread. */
export function runKeyed(msg: KeyedTask): Promise<GroupAnswer | null> {
  if (releases === undefined) {
    releases = new BroadcastChannel(RELEASE_CHANNEL);
    releases.unref();
    releases.onmessage = (ev) => {
      const id = (ev as { data: unknown }).data as number;
      const k = loaded.get(id);
      if (k === undefined) return;
      loaded.delete(id);
      k.ctx.free(k.server.pk.a, k.server.pk.b, ...[...k.server.keys.values()].flatMap((g) => [g.k0, g.k1]));
    };
  }
  let k = loaded.get(msg.keysId);
  if (k === undefined) loaded.set(msg.keysId, (k = importKeys(msg.keys)));
  return msg.task === null ? Promise.resolve(null) : runTask(k.ctx, k.server, msg.task);
}

interface Piscinaish<T> {
  run(task: T): Promise<GroupAnswer | null>;
  close(): Promise<void>;
}

/** Shared threads: `refs` counts shareSimdThreads's holders and the pools open on them. */
interface SharedThreads {
  threads: number;
  refs: number;
  started?: Promise<{ piscina: Piscinaish<KeyedTask>; releases: BroadcastChannel }>;
}

/** The shared threads new sessions join, while sharing is on. */
let shared: SharedThreads | undefined;
let nextKeysId = 1;

function releaseShared(s: SharedThreads): Promise<void> {
  if (--s.refs > 0) return Promise.resolve();
  if (shared === s) shared = undefined;
  if (s.started === undefined) return Promise.resolve();
  return s.started.then(
    async ({ piscina, releases: r }) => {
      r.close();
      await piscina.close();
    },
    () => undefined,
  );
}

/**
 * From now on, SimdBackend.startWorkers(n > 0) in this process joins one pool of `threads` threads (default: the
 * cores) instead of starting n threads of its own: a server running sessions at once keeps the cores busy without
 * a pool per session. The threads start with the first session. Returns the function that turns sharing off; the
 * threads stop once it has been called and the last session on them has closed. Turning sharing on while it is on
 * keeps the first thread count.
 */
export function shareSimdThreads(threads = availableParallelism()): () => Promise<void> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`shareSimdThreads: threads must be a positive integer, got ${threads}`);
  const s = (shared ??= { threads, refs: 0 });
  s.refs++;
  let released = false;
  return () => {
    if (released) return Promise.resolve();
    released = true;
    return releaseShared(s);
  };
}

/** Whether shareSimdThreads is on (startWorkers joins the shared threads). */
export function sharingSimdThreads(): boolean {
  return shared !== undefined;
}

export class SimdPool {
  private constructor(
    readonly threads: number,
    private readonly piscina: Piscinaish<SimdTask | null>,
  ) {}

  /**
   * Joins the shared threads (shareSimdThreads must be on) with the server's keys; `close` frees the keys in every
   * thread and leaves the threads to the other sessions.
   */
  static async shared(params: SimdParams, server: ServerKeys): Promise<SimdPool> {
    const s = shared;
    if (s === undefined) throw new RangeError("SimdPool.shared: call shareSimdThreads first");
    s.refs++;
    try {
      s.started ??= (async () => {
        const { Piscina } = await import("piscina");
        const piscina = new Piscina<KeyedTask, GroupAnswer | null>({
          filename: compiledUrl("pool.js").href,
          name: "runKeyed",
          minThreads: s.threads,
          maxThreads: s.threads,
        });
        return { piscina, releases: new BroadcastChannel(RELEASE_CHANNEL).unref() };
      })();
      const { piscina, releases: r } = await s.started;
      const keysId = nextKeysId++;
      const keys = sharedKeys(exportKeys(rlweContext(params), server, params));
      const pending = new Set<Promise<unknown>>();
      return new SimdPool(s.threads, {
        run(task) {
          const p = piscina.run({ keysId, keys, task });
          pending.add(p);
          const forget = () => void pending.delete(p);
          p.then(forget, forget);
          return p;
        },
        async close() {
          // The keys are freed once no task of this session can still need them.
          await Promise.allSettled(pending);
          r.postMessage(keysId);
          await releaseShared(s);
        },
      });
    } catch (e) {
      await releaseShared(s);
      throw e;
    }
  }

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
