// A party of the two-party computation: its role, its channel to the peer, its randomness and its OT instances.
import type { Channel, Role } from "../net/channel.js";
import { Prg } from "../core/prg.js";
import { LaneLoan, Scratch } from "../core/scratch.js";
import { OtPack, type OtChoice } from "../ot/index.js";

export type { Role };

export interface PartyOptions {
  /** A seeded PRG, for reproducible tests only; production parties seed from the OS. */
  prg?: Prg;
  /** The OT under every protocol: "iknp" (default) or Ferret's silent OT ("ferret-b11", "ferret-b13"). Both parties must agree. */
  ot?: OtChoice;
}

export class Party {
  readonly role: Role;
  readonly ch: Channel;
  readonly prg: Prg;
  readonly ot: OtPack;
  /** The 1-of-16 messages of bit triples this party sends (and.ts, millionaire.ts). */
  readonly tripleLanes = new LaneLoan();
  /**
   * The expanded pads of matmulShares, reused across calls: on small VMs fresh large buffers cost page faults
   * that take longer than the hashing. One matmulShares call per party at a time.
   */
  readonly matmulPads: readonly [Scratch, Scratch, Scratch] = [new Scratch(), new Scratch(), new Scratch()];

  private constructor(role: Role, ch: Channel, prg: Prg, ot: OtPack) {
    this.role = role;
    this.ch = ch;
    this.prg = prg;
    this.ot = ot;
  }

  /** Creates a party and runs the base OTs; the peer must call `create` at the same time. */
  static async create(role: Role, ch: Channel, opts: PartyOptions = {}): Promise<Party> {
    if (role !== "server" && role !== "client") throw new TypeError(`Party: role must be "server" or "client", got ${String(role)}`);
    const prg = opts.prg ?? (await Prg.create());
    const ot = new OtPack(ch, prg, role, { ot: opts.ot });
    await ot.setup();
    return new Party(role, ch, prg, ot);
  }

  get isServer(): boolean {
    return this.role === "server";
  }

  /** Runs `fn` in a named counter scope of the channel. */
  scope<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.ch.scope(name, fn);
  }
}
