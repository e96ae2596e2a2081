// Parameters of the simd backend: RLWE over R_Q = Z_Q[X]/(X^N + 1) with plaintext modulus t = 2^ell (the ring of
// the shares, so answers decrypt straight to shares: no CRT, no conversion), Q an RNS of 30-bit NTT primes and one
// special prime P for key switching. Checked against the HomomorphicEncryption.org security table.
export interface SimdParams {
  /** Ring degree N. */
  polyDegree: number;
  /** t = 2^plainBits: the share ring's bits. */
  plainBits: number;
  /** Data primes of the top level (products use the fewest that hold their noise: 4 for weights, 5 for shares). */
  dataPrimes: number;
  /** Statistical security (bits) of the noise flooding. */
  sigma: number;
  /** The largest number of answers interleaved into one ciphertext (a power of two; log2 of it Galois keys). */
  maxPack: number;
}

/**
 * Why these values: N = 8192 holds a 128-row block product in one polynomial and, with 6 × 30-bit primes
 * (log QP ≈ 180 < 218), is 128-bit secure. Five data primes carry a 37-bit share × 37-bit share product flooded
 * 40 bits above its noise (≈ 2^51); weight products need only four. Packing 32 answers per ciphertext keeps the
 * answers small at 5 Galois keys.
 */
export const DEFAULT_SIMD: Readonly<SimdParams> = Object.freeze({ polyDegree: 8192, plainBits: 37, dataPrimes: 5, sigma: 40, maxPack: 32 });

/**
 * The largest log2(QP) for 128-bit classical security with a ternary secret and σ ≈ 3.2 (HomomorphicEncryption.org
 * security standard, Table 1, as SEAL's `CoeffModulus::MaxBitCount(N, tc128)`).
 */
export const MAX_LOG_QP_128: Readonly<Record<number, number>> = Object.freeze({ 1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881 });

/** Centred binomial errors with η = 21: σ = √(η/2) ≈ 3.24, |e| ≤ 21. */
export const CBD_ETA = 21;

/** Bits kept of an answer's c0 and c1: enough that truncation errs by at most 2^−4 and N·2^−4 of a plaintext step. */
export function answerBits(p: SimdParams): { b0: number; b1: number } {
  return { b0: p.plainBits + 4, b1: p.plainBits + Math.log2(p.polyDegree) + 4 };
}

export function checkSimdParams(p: SimdParams): void {
  const { polyDegree: n, plainBits, dataPrimes, sigma, maxPack } = p;
  if (!(n in MAX_LOG_QP_128)) throw new RangeError(`SimdParams.polyDegree must be a power of two in [1024, 32768], got ${n}`);
  if (!Number.isInteger(plainBits) || plainBits < 21 || plainBits > 40) throw new RangeError(`SimdParams.plainBits must be an integer in [21, 40], got ${plainBits}`);
  if (!Number.isInteger(dataPrimes) || dataPrimes < 3 || dataPrimes > 8) throw new RangeError(`SimdParams.dataPrimes must be an integer in [3, 8], got ${dataPrimes}`);
  if (!Number.isInteger(sigma) || sigma < 20 || sigma > 128) throw new RangeError(`SimdParams.sigma must be an integer in [20, 128], got ${sigma}`);
  if (!Number.isInteger(maxPack) || maxPack < 1 || maxPack > n / 2 || (maxPack & (maxPack - 1)) !== 0) {
    throw new RangeError(`SimdParams.maxPack must be a power of two in [1, N/2], got ${maxPack}`);
  }
}

/** Throws unless log2 of the whole modulus (data primes and the special prime) is within the 128-bit table. */
export function checkSecurity(n: number, primes: readonly number[]): number {
  const logQP = primes.reduce((s, q) => s + Math.log2(q), 0);
  const max = MAX_LOG_QP_128[n];
  if (max === undefined || logQP > max) throw new RangeError(`log2(QP) = ${logQP.toFixed(1)} exceeds ${max ?? "?"} bits, the 128-bit security limit at N = ${n}`);
  return logQP;
}

/** The parameter record both parties compare before any key is sent (a mismatch names the field). */
export function simdHandshakeParams(p: SimdParams, primes: readonly number[]): Record<string, string> {
  return {
    "he.backend": "simd",
    "he.polyDegree": String(p.polyDegree),
    "he.plainBits": String(p.plainBits),
    "he.primes": primes.join(","),
    "he.error": `cbd${CBD_ETA}`,
    "he.sigma": String(p.sigma),
    "he.maxPack": String(p.maxPack),
  };
}
