// A pool thread of the simd backend: loads the server's keys once, then evaluates one group task per call.
import { workerData } from "piscina";
import { evaluateGroups, type GroupAnswer, type GroupTask } from "./evaluate.js";
import { importKeys, type SimdWorkerData } from "./pool.js";

const { ctx, server } = importKeys(workerData as SimdWorkerData);

/** Evaluates one task; `null` only reports that the thread is ready. */
export default function run(task: GroupTask | null): Promise<GroupAnswer[]> | GroupAnswer[] {
  return task === null ? [] : evaluateGroups(ctx, server, task);
}
