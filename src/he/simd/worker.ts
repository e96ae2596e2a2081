// A pool thread of the simd backend: loads the server's keys once, then runs one task (evaluate.ts) per call.
import { workerData } from "piscina";
import { runTask, type GroupAnswer, type SimdTask } from "./evaluate.js";
import { importKeys, type SimdWorkerData } from "./pool.js";

const { ctx, server } = importKeys(workerData as SimdWorkerData);

/** Runs one task; `null` only reports that the thread is ready. */
export default function run(task: SimdTask | null): Promise<GroupAnswer | null> {
  return task === null ? Promise.resolve(null) : runTask(ctx, server, task);
}
