// Compare-exchange of the swap and sorting baselines (src/prune/exchange.ts). Rows are w consecutive u64 lanes;
// lo, hi (u32) list the two rows of each pair; results are reduced with `mask` = 2^l − 1.

@inline function row(base: usize, index: usize, idx: i32, w: i32): usize {
  return base + ((<usize>load<u32>(index + (<usize>idx << 2)) * <usize>w) << 3);
}

/** diff row i = table[hi[i]] − table[lo[i]] for `pairs` pairs. */
export function pruneGatherDiff(diff: usize, table: usize, lo: usize, hi: usize, pairs: i32, w: i32, mask: u64): void {
  for (let i = 0; i < pairs; i++) {
    const l = row(table, lo, i, w);
    const h = row(table, hi, i, w);
    const o = (<usize>i * <usize>w) << 3;
    for (let t = 0; t < w; t++) {
      const q = <usize>t << 3;
      store<u64>(diff + o + q, (load<u64>(h + q) - load<u64>(l + q)) & mask);
    }
  }
}

/** table[lo[i]] += δ_i, table[hi[i]] −= δ_i for `pairs` pairs. */
export function pruneApplyDelta(table: usize, delta: usize, lo: usize, hi: usize, pairs: i32, w: i32, mask: u64): void {
  for (let i = 0; i < pairs; i++) {
    const l = row(table, lo, i, w);
    const h = row(table, hi, i, w);
    const o = (<usize>i * <usize>w) << 3;
    for (let t = 0; t < w; t++) {
      const q = <usize>t << 3;
      const v = load<u64>(delta + o + q);
      store<u64>(l + q, (load<u64>(l + q) + v) & mask);
      store<u64>(h + q, (load<u64>(h + q) - v) & mask);
    }
  }
}

/**
 * col row j += x row j for n rows of w lanes (x's rows `stride` lanes apart), and sum += Σ_j x row j (w lanes): the
 * column and row sums of the share translation (src/prune/translate.ts). Plain u64 wrap-around; callers reduce
 * mod 2^l at the end.
 */
export function pruneAccumulate(col: usize, sum: usize, x: usize, n: i32, w: i32, stride: i32): void {
  const bytes = <usize>w << 3;
  const wide = bytes & ~(<usize>15);
  for (let j = 0; j < n; j++) {
    const xr = x + ((<usize>j * <usize>stride) << 3);
    const cr = col + <usize>j * bytes;
    for (let t: usize = 0; t < wide; t += 16) {
      const v = v128.load(xr + t);
      v128.store(cr + t, i64x2.add(v128.load(cr + t), v));
      v128.store(sum + t, i64x2.add(v128.load(sum + t), v));
    }
    if (wide < bytes) {
      const v = load<u64>(xr + wide);
      store<u64>(cr + wide, load<u64>(cr + wide) + v);
      store<u64>(sum + wide, load<u64>(sum + wide) + v);
    }
  }
}
