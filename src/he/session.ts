// HE set-up of a two-party session: the client (who decrypts) generates the keys and sends its public key and only
// the Galois keys the planned products need, seeded (half size), once. Both sides check the HE parameters first.
import type { Party, Role } from "../mpc/party.js";
import { ProtocolError } from "../net/errors.js";
import type { HePlan } from "./backend.js";
import { packChunks, unpackChunks } from "./chunks.js";
import { HeContext } from "./context.js";
import type { ServerPrime } from "./evaluate.js";
import { layoutFor, rotationSteps, type Layout } from "./layout.js";
import { DEFAULT_HE, exchangeHeParams, heHandshakeParams, primesNeeded, productBoundBits, type HeParams } from "./params.js";
import { ResponseCodec } from "./response.js";
import type { Decryptor, Encryptor, SecretKey } from "./seal.js";

/** A planned product: its packing, the bound on its integer result and how many plaintext primes carry it. */
export interface PlannedProduct {
  plan: HePlan;
  layout: Layout;
  boundBits: number;
  primes: number;
}

interface ClientKeys {
  secretKeys: SecretKey[];
  encryptors: Encryptor[];
  decryptors: Decryptor[];
  /** Per plaintext prime, the format of the server's compressed answers. */
  responses: ResponseCodec[];
}

/** The serialised public material a worker needs to evaluate products for the server. */
export interface ServerKeyMaterial {
  params: HeParams;
  plainModuli: bigint[];
  publicKeys: Uint8Array[];
  galoisKeys: Uint8Array[];
}

export class HeSession {
  private constructor(
    readonly role: Role,
    readonly ctx: HeContext,
    private readonly steps: Set<number>[],
    private readonly client?: ClientKeys,
    private readonly server?: { primes: ServerPrime[]; material: ServerKeyMaterial },
  ) {}

  /** Runs the HE handshake and key exchange; both parties pass the same plans (the architecture is public). */
  static async setup(p: Party, plans: HePlan[], params: HeParams = DEFAULT_HE): Promise<HeSession> {
    const ctx = await HeContext.create(params);
    try {
      return await p.scope("he.setup", async () => {
        await exchangeHeParams(p, heHandshakeParams(ctx.params, ctx.plainModuli));
        const planned = plans.map((pl) => planProduct(ctx, pl));
        const steps = ctx.primes.map((_, i) => {
          const set = new Set<number>();
          for (const pp of planned) if (pp.primes > i) for (const st of rotationSteps(pp.layout)) set.add(st);
          return set;
        });
        const s = ctx.seal;
        const none = s.ComprModeType.none;
        if (p.role === "client") {
          const keys: ClientKeys = { secretKeys: [], encryptors: [], decryptors: [], responses: [] };
          const chunks: Uint8Array[] = [];
          ctx.primes.forEach((pc, i) => {
            const kg = s.KeyGenerator(pc.context);
            try {
              const sk = kg.secretKey();
              const pkSer = kg.createPublicKeySerializable();
              const pkBytes = pkSer.saveArray(none);
              pkSer.delete();
              const pk = s.PublicKey();
              pk.loadArray(pc.context, pkBytes);
              // An empty step list would make SEAL generate every power-of-two rotation: send no keys instead.
              let gkBytes: Uint8Array = new Uint8Array(0);
              if (steps[i].size > 0) {
                const gkSer = kg.createGaloisKeysSerializable(Int32Array.from(steps[i]));
                gkBytes = gkSer.saveArray(none);
                gkSer.delete();
              }
              chunks.push(pkBytes, gkBytes);
              keys.secretKeys.push(sk);
              keys.encryptors.push(s.Encryptor(pc.context, pk, sk));
              keys.decryptors.push(s.Decryptor(pc.context, sk));
              keys.responses.push(ResponseCodec.create(s, pc, keys.encryptors[i]));
              pk.delete();
            } finally {
              kg.delete();
            }
          });
          p.ch.send("he.keys", packChunks(chunks));
          return new HeSession("client", ctx, steps, keys);
        }
        const chunks = unpackChunks(await p.ch.recv("he.keys"), 2 * ctx.primes.length, "he.keys");
        const material: ServerKeyMaterial = {
          params: ctx.params,
          plainModuli: ctx.plainModuli,
          publicKeys: chunks.filter((_, j) => j % 2 === 0).map((c) => c.slice()),
          galoisKeys: chunks.filter((_, j) => j % 2 === 1).map((c) => c.slice()),
        };
        return new HeSession("server", ctx, steps, undefined, { primes: serverPrimes(ctx, material), material });
      });
    } catch (e) {
      ctx.delete();
      throw e;
    }
  }

  /** The packing and prime count of a product; throws if the session holds no Galois key it needs. */
  plan(pl: HePlan): PlannedProduct {
    const pp = planProduct(this.ctx, pl);
    for (let i = 0; i < pp.primes; i++) {
      for (const st of rotationSteps(pp.layout)) {
        if (!this.steps[i].has(st)) {
          throw new RangeError(`HE product ${pl.n}×${pl.k}·${pl.k}×${pl.m} needs a rotation by ${st} slots that was not planned at set-up`);
        }
      }
    }
    return pp;
  }

  get clientKeys(): ClientKeys {
    if (!this.client) throw new TypeError("HeSession: only the client holds the secret keys");
    return this.client;
  }

  get serverPrimes(): ServerPrime[] {
    if (!this.server) throw new TypeError("HeSession: only the server evaluates products");
    return this.server.primes;
  }

  /** What a worker thread needs to evaluate products (public keys only). */
  get keyMaterial(): ServerKeyMaterial {
    if (!this.server) throw new TypeError("HeSession: only the server evaluates products");
    return this.server.material;
  }

  /** Deletes every SEAL object of the session. */
  delete(): void {
    if (this.client) {
      for (const o of [...this.client.secretKeys, ...this.client.encryptors, ...this.client.decryptors]) o.delete();
      this.client.secretKeys.length = this.client.encryptors.length = this.client.decryptors.length = this.client.responses.length = 0;
    }
    if (this.server) {
      for (const sp of this.server.primes) {
        sp.galois.delete();
        sp.encryptor.delete();
      }
      this.server.primes.length = 0;
    }
    this.ctx.delete();
  }
}

export function planProduct(ctx: HeContext, pl: HePlan): PlannedProduct {
  for (const [name, v] of Object.entries(pl)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`HePlan.${name} must be a positive integer, got ${String(v)}`);
  }
  if (pl.aBits > 64 || pl.wBits > 64) throw new RangeError(`HePlan: aBits and wBits must be at most 64, got ${pl.aBits} and ${pl.wBits}`);
  const boundBits = productBoundBits(pl.aBits, pl.wBits, pl.k);
  const primes = primesNeeded(boundBits, ctx.params.sigma, ctx.plainModuli);
  return { plan: { ...pl }, layout: layoutFor(ctx.slots, pl.n, pl.k, pl.m), boundBits, primes };
}

/** Loads the client's public and Galois keys into server-side evaluation state (also used by workers). */
export function serverPrimes(ctx: HeContext, m: ServerKeyMaterial): ServerPrime[] {
  const s = ctx.seal;
  const dataBits = ctx.params.coeffBits.slice(0, -1).reduce((a, b) => a + b, 0);
  // Flooded noise up to 2^floodBits ≈ q/(32t), a sixteenth of the decryption limit q/(2t) (t just below 2^plainBits):
  // it survives the switch to the next level and leaves room for the low bits response.ts drops.
  const floodBits = dataBits - ctx.params.plainBits - 5;
  const moduli = ctx.dataModuli;
  return ctx.primes.map((pc, i) => {
    const pk = s.PublicKey();
    const galois = s.GaloisKeys();
    try {
      pk.loadArray(pc.context, m.publicKeys[i]);
      if (m.galoisKeys[i].length > 0) galois.loadArray(pc.context, m.galoisKeys[i]);
    } catch (e) {
      pk.delete();
      galois.delete();
      throw new ProtocolError(`he.keys: the peer's keys for plaintext prime ${i} do not load (${errorText(e)})`);
    }
    const encryptor = s.Encryptor(pc.context, pk);
    pk.delete();
    return { pc, galois, encryptor, moduli, floodBits, response: ResponseCodec.create(s, pc, encryptor) };
  });
}

/** SEAL throws numbers (pointers to C++ exceptions) as well as Errors. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
