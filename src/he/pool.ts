// Worker threads (piscina, Node) that evaluate the server's independent HE products in parallel. Each thread holds
// its own SEAL heap with the client's public keys; start-up costs about 0.7 s per thread, so create the pool once
// per session and close it at the end.
import type { ProductTask } from "./evaluate.js";
import type { ProductRunner } from "./product.js";
import type { HeSession } from "./session.js";

export interface HePoolOptions {
  /** Threads (default 2). */
  threads?: number;
  /** The compiled worker file (default: worker.js beside this module, or the dist/ build under a TS runner). */
  workerUrl?: URL;
}

/** Under a TypeScript test runner this module is src/he/pool.ts: use the worker compiled to dist/ (npm run build:ts). */
export function defaultHeWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/src/he/worker.js", here) : new URL("./worker.js", here);
}

export class HePool implements ProductRunner {
  private constructor(
    readonly threads: number,
    private readonly piscina: { run(task: ProductTask | null): Promise<Uint8Array[]>; close(): Promise<void> },
  ) {}

  /** Starts the threads with the server's key material and waits until each has loaded it. */
  static async create(he: HeSession, options: HePoolOptions = {}): Promise<HePool> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`HePool: threads must be a positive integer, got ${threads}`);
    const { Piscina } = await import("piscina");
    const piscina = new Piscina<ProductTask | null, Uint8Array[]>({
      filename: (options.workerUrl ?? defaultHeWorkerUrl()).href,
      minThreads: threads,
      maxThreads: threads,
      workerData: he.keyMaterial,
    });
    const pool = new HePool(threads, piscina);
    try {
      await Promise.all(Array.from({ length: threads }, () => piscina.run(null)));
    } catch (e) {
      await piscina.close();
      throw e;
    }
    return pool;
  }

  /** Runs the tasks concurrently, largest first; results in task order. */
  run(tasks: ProductTask[]): Promise<Uint8Array[][]> {
    const order = tasks.map((t, i) => ({ i, cost: t.layout.inCts * t.layout.outCts })).sort((a, b) => b.cost - a.cost);
    const out: Uint8Array[][] = new Array<Uint8Array[]>(tasks.length);
    return Promise.all(order.map(({ i }) => this.piscina.run(tasks[i]).then((r) => (out[i] = r)))).then(() => out);
  }

  close(): Promise<void> {
    return this.piscina.close();
  }
}
