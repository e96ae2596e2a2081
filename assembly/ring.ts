// Elementwise arithmetic mod 2^l over u64 lanes. Pointers are byte offsets handed out by the TypeScript allocator.

/** c[i] = (a[i] + b[i]) mod 2^64 for i < n. */
export function add(c: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<u64>(c + o, load<u64>(a + o) + load<u64>(b + o));
  }
}
