// One SEAL context per plaintext prime t_i (same N and ciphertext modulus), with its encoder and evaluator.
import { checkHeParams, type HeParams } from "./params.js";
import { seal, type BatchEncoder, type Context, type Evaluator, type Seal } from "./seal.js";

export interface PrimeContext {
  readonly t: bigint;
  readonly context: Context;
  readonly encoder: BatchEncoder;
  readonly evaluator: Evaluator;
}

export class HeContext {
  private constructor(
    readonly seal: Seal,
    readonly params: Readonly<HeParams>,
    readonly primes: PrimeContext[],
  ) {}

  /** Builds the contexts; `plainModuli` (from a previous context, e.g. in a worker) skips the prime search. */
  static async create(params: HeParams, plainModuli?: readonly bigint[]): Promise<HeContext> {
    checkHeParams(params);
    const s = await seal();
    const n = params.polyDegree;
    const moduli = plainModuli ?? searchPlainModuli(s, n, params.plainBits, params.plainPrimes);
    const primes = moduli.map((t) => {
      const parms = s.EncryptionParameters(s.SchemeType.bfv);
      const coeff = s.CoeffModulus.Create(n, Int32Array.from(params.coeffBits));
      const plain = s.Modulus(t);
      try {
        parms.setPolyModulusDegree(n);
        parms.setCoeffModulus(coeff);
        parms.setPlainModulus(plain);
        const context = s.Context(parms, true, s.SecurityLevel.tc128);
        if (!context.parametersSet()) {
          context.delete();
          throw new RangeError(`HeParams: SEAL rejects N=${n}, coeffBits=${params.coeffBits.join(",")}, t=${t} at 128-bit security`);
        }
        return { t, context, encoder: s.BatchEncoder(context), evaluator: s.Evaluator(context) };
      } finally {
        parms.delete();
        coeff.delete();
        plain.delete();
      }
    });
    return new HeContext(s, { ...params, coeffBits: [...params.coeffBits] }, primes);
  }

  get plainModuli(): bigint[] {
    return this.primes.map((p) => p.t);
  }

  get slots(): number {
    return this.params.polyDegree;
  }

  /** The ciphertext primes of the first data level (the same for every plaintext prime). */
  get dataModuli(): bigint[] {
    return Array.from(this.primes[0].context.firstContextData.parms.coeffModulus, (q) => BigInt(q));
  }

  delete(): void {
    for (const p of this.primes) {
      p.encoder.delete();
      p.evaluator.delete();
      p.context.delete();
    }
    this.primes.length = 0;
  }
}

function searchPlainModuli(s: Seal, n: number, bits: number, count: number): bigint[] {
  // node-seal returns the raw Emscripten vector here, not its Vector wrapper.
  const v = s.PlainModulus.BatchingVector(n, Int32Array.from({ length: count }, () => bits)) as unknown as {
    size(): number;
    get(i: number): { value(): bigint; delete(): void };
    delete(): void;
  };
  try {
    return Array.from({ length: v.size() }, (_, i) => {
      const m = v.get(i);
      try {
        return m.value();
      } finally {
        m.delete();
      }
    });
  } finally {
    v.delete();
  }
}
