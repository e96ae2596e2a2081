// Per-party CPU time when both parties share one thread. Each party's calls run in an AsyncLocalStorage context
// tagged with the party; an async hook charges the process CPU time (process.cpuUsage, user + system) of every
// synchronous slice (the call itself, then every promise continuation, microtask and callback it schedules) to the
// party whose context the slice runs in. Time spent waiting for the peer is charged to nobody, so server + client is
// the pair's CPU time; CPU of V8's helper threads (concurrent GC) during a slice counts toward the party running.
import { AsyncLocalStorage, createHook } from "node:async_hooks";

export class PartyCpu {
  private readonly als = new AsyncLocalStorage<number>();
  private readonly micros: number[];
  private depth = 0;
  private party = -1;
  private start: NodeJS.CpuUsage | undefined;
  private readonly hook = createHook({ before: () => this.enter(), after: () => this.exit() });

  constructor(parties: number) {
    this.micros = new Array<number>(parties).fill(0);
  }

  /** Runs `fn` for party `i` (its synchronous part and all its continuations are charged to i). */
  run<T>(i: number, fn: () => T): T {
    return this.als.run(i, () => {
      this.enter();
      try {
        return fn();
      } finally {
        this.exit();
      }
    });
  }

  /** Starts counting from zero; call `stop` to read the milliseconds per party. */
  begin(): void {
    this.micros.fill(0);
    this.hook.enable();
  }

  /** Stops counting and returns each party's CPU milliseconds since `begin`. */
  stop(): number[] {
    this.hook.disable();
    return this.micros.map((us) => us / 1000);
  }

  // Slices can nest (a callback entered from inside another): only the outermost one is timed.
  private enter(): void {
    if (this.depth++ > 0) return;
    const party = this.als.getStore();
    if (party === undefined) return;
    this.party = party;
    this.start = process.cpuUsage();
  }

  private exit(): void {
    if (--this.depth > 0 || this.start === undefined) return;
    const used = process.cpuUsage(this.start);
    this.micros[this.party] += used.user + used.system;
    this.start = undefined;
  }
}
