// Per-element loops of the OT-based protocols (src/mpc): Gilboa products' bit positions and the 1-of-16 message
// tables of the millionaire's leaves and of bit triples (packed as the wire carries them); and those of the
// correlated OTs under them (src/ot: COT shares from the extension's hashes). Values are u64 lanes;
// OT messages are 16-byte blocks of which the low 8 bytes are used; packed bit vectors are little-endian (bit i is
// bit i & 7 of byte i >> 3).

/**
 * Sender pass of one Gilboa position over n random OTs: t[e] = m0 + y − m1 and acc[e] += m0 << shift (mod 2^64),
 * m0 and m1 being the low 8 bytes of the e-th 16-byte blocks at m0 and m1.
 */
export function gilboaSend(acc: usize, t: usize, m0: usize, m1: usize, y: usize, n: i32, shift: i32): void {
  const s = <u64>shift;
  for (let e: usize = 0; e < <usize>n; e++) {
    const a = load<u64>(m0 + (e << 4));
    const o = e << 3;
    store<u64>(t + o, a + load<u64>(y + o) - load<u64>(m1 + (e << 4)));
    store<u64>(acc + o, load<u64>(acc + o) + (a << s));
  }
}

/** Value `index` of a packed stream of `width`-bit values (mask = 2^width − 1), readable 8 bytes past its end. */
@inline function packedAt(packed: usize, index: usize, width: u64, mask: u64): u64 {
  const bit = <u64>index * width;
  const r = bit & 7;
  const at = packed + <usize>(bit >> 3);
  let v = load<u64>(at) >> r;
  // A value starting r bits into its byte spans r + width bits: past 64 only when r + width > 64.
  if (r + width > 64) v |= <u64>load<u8>(at + 8) << (64 - r);
  return v & mask;
}

@inline function widthMask(width: i32): u64 {
  return width == 64 ? <u64>-1 : (<u64>1 << <u64>width) - 1;
}

/** Choice bit k of a packed vector, as 0 or all ones. */
@inline function choiceMask(choices: usize, k: usize): u64 {
  return 0 - <u64>((load<u8>(choices + (k >> 3)) >> <u8>(k & 7)) & 1);
}

/**
 * Receiver pass of one Gilboa position: acc[e] += (m_c + c·t_e) << shift (mod 2^64), where c is choice bit k0 + e
 * at `choices`, m_c the low 8 bytes of block e at mc, and t_e the e-th `width`-bit value of the packed stream at
 * `packed` (which must be readable for 8 bytes past its end).
 */
export function gilboaRecv(acc: usize, mc: usize, choices: usize, k0: i32, packed: usize, n: i32, shift: i32, width: i32): void {
  const s = <u64>shift;
  const w = <u64>width;
  const mask = widthMask(width);
  for (let e: usize = 0; e < <usize>n; e++) {
    const t = packedAt(packed, e, w, mask) & choiceMask(choices, <usize>k0 + e);
    const o = e << 3;
    store<u64>(acc + o, load<u64>(acc + o) + ((load<u64>(mc + (e << 4)) + t) << s));
  }
}

/** dst[e] = the low 8 bytes of 16-byte block e at h, mod 2^l (mask = 2^l − 1), for e < n: OT hashes to u64 lanes. */
export function lowLanes(dst: usize, h: usize, n: i32, mask: u64): void {
  for (let e: usize = 0; e < <usize>n; e++) store<u64>(dst + (e << 3), load<u64>(h + (e << 4)) & mask);
}

/**
 * A COT sender's message lanes: y[e] = x[e] + d[e] − (the low 8 bytes of block e at h1) mod 2^l, where x holds its
 * shares H(q) and h1 the hashes H(q ⊕ s).
 */
export function cotSendLanes(y: usize, x: usize, d: usize, h1: usize, n: i32, mask: u64): void {
  for (let e: usize = 0; e < <usize>n; e++) {
    const o = e << 3;
    store<u64>(y + o, (load<u64>(x + o) + load<u64>(d + o) - load<u64>(h1 + (e << 4))) & mask);
  }
}

/**
 * A COT receiver's shares, in place: out[e] = out[e] + c·y_e mod 2^l, where out holds H(t) (mod 2^l), c is choice
 * bit e at `choices` and y_e the e-th l-bit value of the sender's packed stream (readable 8 bytes past its end).
 */
export function cotRecvLanes(out: usize, packed: usize, choices: usize, n: i32, l: i32): void {
  const w = <u64>l;
  const mask = widthMask(l);
  for (let e: usize = 0; e < <usize>n; e++) {
    const o = out + (e << 3);
    store<u64>(o, (load<u64>(o) + (packedAt(packed, e, w, mask) & choiceMask(choices, e))) & mask);
  }
}

/**
 * A 1-of-N receiver's messages, in place: out[i] = out[i] ⊕ the (i·N + c_i)-th l-bit value of the sender's packed
 * stream, mod 2^l, where out holds the low 8 bytes of H(t_i) and c_i is byte i at `choices` (below N).
 */
export function otnPick(out: usize, packed: usize, choices: usize, n: i32, N: i32, l: i32): void {
  const w = <u64>l;
  const mask = widthMask(l);
  for (let i: usize = 0; i < <usize>n; i++) {
    const o = out + (i << 3);
    store<u64>(o, (load<u64>(o) ^ packedAt(packed, i * <usize>N + <usize>load<u8>(choices + i), w, mask)) & mask);
  }
}

/**
 * Sender pass of one position of a row-correlated Gilboa product (src/mpc/matmul.ts): for lane = r·k + j (r < m,
 * j < k) and v < n, t[lane·n + v] = x0 + b[j·n + v] − x1 and acc[row·n + v] += x0 << shift (mod 2^64), x0 and x1
 * being value v of the lane's pads (u64 values at lane·vs), row = lane with perLane ≠ 0, else r.
 */
export function gilboaRowsSend(acc: usize, t: usize, x0: usize, x1: usize, b: usize, m: i32, k: i32, n: i32, vs: i32, shift: i32, perLane: i32): void {
  const s = <u64>shift;
  const nn = <usize>n;
  for (let r: usize = 0; r < <usize>m; r++) {
    for (let j: usize = 0; j < <usize>k; j++) {
      const lane = r * <usize>k + j;
      const pads = lane * <usize>vs << 3;
      const to = acc + ((perLane != 0 ? lane : r) * nn << 3);
      const tl = t + (lane * nn << 3);
      const bl = b + (j * nn << 3);
      for (let v: usize = 0; v < nn; v++) {
        const o = v << 3;
        const a = load<u64>(x0 + pads + o);
        store<u64>(tl + o, a + load<u64>(bl + o) - load<u64>(x1 + pads + o));
        store<u64>(to + o, load<u64>(to + o) + (a << s));
      }
    }
  }
}

/**
 * Receiver pass of one position of a row-correlated Gilboa product: for lane < lanes with choice bit c = bit q0 +
 * lane of `choices`, and v < n, acc[(lane / k)·n + v] += (xb + c·t) << shift, xb being value v of the lane's chosen
 * pads (u64 values at lane·vs) and t value lane·n + v of the packed stream (readable 8 bytes past its end).
 */
export function gilboaRowsRecv(acc: usize, xb: usize, choices: usize, q0: i32, packed: usize, lanes: i32, k: i32, n: i32, vs: i32, shift: i32, width: i32): void {
  const s = <u64>shift;
  const w = <u64>width;
  const mask = widthMask(width);
  const nn = <usize>n;
  for (let lane: usize = 0; lane < <usize>lanes; lane++) {
    const c = choiceMask(choices, <usize>q0 + lane);
    const pads = xb + (lane * <usize>vs << 3);
    const to = acc + ((lane / <usize>k) * nn << 3);
    for (let v: usize = 0; v < nn; v++) {
      const o = v << 3;
      const t = packedAt(packed, lane * nn + v, w, mask) & c;
      store<u64>(to + o, load<u64>(to + o) + ((load<u64>(pads + o) + t) << s));
    }
  }
}

/**
 * The server's 16 two-bit messages for each of n millionaire leaves, packed as the wire carries them: one u32 per
 * leaf at msgs, bits 2j, 2j + 1 holding entry j = ([v_e > j] ⊕ gt_e) | ([v_e = j] ⊕ eq_e) << 1, for the digit v_e
 * (one byte each, below 16) and the mask bits gt, eq (packed).
 */
export function leafMessages(msgs: usize, v: usize, gt: usize, eq: usize, n: i32): void {
  for (let e: usize = 0; e < <usize>n; e++) {
    const d = <u32>load<u8>(v + e) << 1;
    // Bit 2j for every j < v_e, and bit 2v_e + 1; the mask bits flip all the even or all the odd bits.
    const g = (0x55555555 & ((<u32>1 << d) - 1)) ^ (0 - <u32>((load<u8>(gt + (e >> 3)) >> <u8>(e & 7)) & 1) & 0x55555555);
    const q = (<u32>2 << d) ^ (0 - <u32>((load<u8>(eq + (e >> 3)) >> <u8>(e & 7)) & 1) & 0xaaaaaaaa);
    store<u32>(msgs + (e << 2), g | q);
  }
}

/**
 * The server's 16 two-bit messages of each of `ots` bit-triple OTs, packed as the wire carries them: one u32 per OT
 * at msgs. OT k covers triples 2k and 2k + 1 (bits of the packed a, b, r), and entry j = a_C0 | b_C0 << 1 |
 * a_C1 << 2 | b_C1 << 3 (bits 2j, 2j + 1) carries, per triple, r ⊕ a_S·b_C ⊕ a_C·b_S (bit 2j for triple 2k, 2j + 1
 * for 2k + 1).
 */
export function tripleMessages(msgs: usize, a: usize, b: usize, r: usize, ots: i32): void {
  // The entries j (as bit 2j or 2j + 1) whose a_C0, b_C0, a_C1 or b_C1 is set.
  const aC0: u32 = 0x44444444, bC0: u32 = 0x50505050, aC1: u32 = 0xaa00aa00, bC1: u32 = 0xaaaa0000;
  for (let k: usize = 0; k < <usize>ots; k++) {
    const byte = k >> 2;
    const sh = <u8>((k << 1) & 7);
    const ak = <u32>(load<u8>(a + byte) >> sh);
    const bk = <u32>(load<u8>(b + byte) >> sh);
    const rk = <u32>(load<u8>(r + byte) >> sh);
    const m0 = ((0 - (rk & 1)) & 0x55555555) ^ ((0 - (ak & 1)) & bC0) ^ ((0 - (bk & 1)) & aC0);
    const m1 = ((0 - ((rk >> 1) & 1)) & 0xaaaaaaaa) ^ ((0 - ((ak >> 1) & 1)) & bC1) ^ ((0 - ((bk >> 1) & 1)) & aC1);
    store<u32>(msgs + (k << 2), m0 ^ m1);
  }
}

/**
 * The server's messages of n table lookups at msgs: message j of lookup e is (table[(j + shifts_e) mod size] − r_e)
 * & mask, for a table of `size` (a power of two ≤ 256) u64 entries, shifts one byte each and r u64 lanes.
 */
export function lutRotations(msgs: usize, table: usize, shifts: usize, r: usize, n: i32, size: i32, mask: u64): void {
  const low = <usize>(size - 1);
  let o = msgs;
  for (let e: usize = 0; e < <usize>n; e++) {
    const s = <usize>load<u8>(shifts + e);
    const re = load<u64>(r + (e << 3));
    for (let j: usize = 0; j < <usize>size; j++, o += 8) store<u64>(o, (load<u64>(table + (((j + s) & low) << 3)) - re) & mask);
  }
}
