// GGM trees punctured at one leaf each, for the share translation (translate.ts). The holder expands each 16-byte
// root into 2^depth leaves, the children of a node s being (H_L(s), H_R(s)) with the fixed-key MMO hashes of two
// public keys (a length-doubling PRG when s is secret). Per tree and level it publishes, under random OTs, the XOR
// of the level's left children and that of its right children; a party that takes, level by level, the sum of
// the side off its path rebuilds every leaf but the one at its point (the puncturable PRF of Boyle–Gilboa–Ishai and
// Doerner–shelat). Trees are stored level by level side by side: node i of tree j at level h is node j·2^h + i, so
// one level's children of all trees come out of two AES calls.
import { fixedKeyAes, type AesBackend } from "../core/aes.js";

// Public keys of their own, so these hashes never coincide with those of expand.ts or of the OT extension.
const LEFT_KEY = new TextEncoder().encode("prune.ggm.left.k");
const RIGHT_KEY = new TextEncoder().encode("prune.ggm.rightk");

/** The next level of all trees: node k's children are nodes 2k (H_L) and 2k + 1 (H_R). */
function children(nodes: Uint8Array, backend: AesBackend): Uint8Array {
  const left = fixedKeyAes(LEFT_KEY, backend).hashBlocks(nodes);
  const right = fixedKeyAes(RIGHT_KEY, backend).hashBlocks(nodes);
  const count = nodes.length / 16;
  const out = new Uint8Array(2 * nodes.length);
  for (let k = 0; k < count; k++) {
    out.set(left.subarray(16 * k, 16 * k + 16), 32 * k);
    out.set(right.subarray(16 * k, 16 * k + 16), 32 * k + 16);
  }
  return out;
}

/** XOR of the nodes first, first + 2, … below `end` (32-bit words of 16-byte nodes) into `into` at word `at`. */
function xorEvery2(w: Uint32Array, first: number, end: number, into: Uint32Array, at: number): void {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (let i = first; i < end; i += 2) {
    a ^= w[4 * i];
    b ^= w[4 * i + 1];
    c ^= w[4 * i + 2];
    d ^= w[4 * i + 3];
  }
  into[at] ^= a;
  into[at + 1] ^= b;
  into[at + 2] ^= c;
  into[at + 3] ^= d;
}

function checkTrees(fn: string, trees: number, depth: number): void {
  if (!Number.isInteger(trees) || trees < 1) throw new RangeError(`${fn}: trees must be a positive integer, got ${trees}`);
  if (!Number.isInteger(depth) || depth < 1 || depth > 20) throw new RangeError(`${fn}: depth must be an integer in [1, 20], got ${depth}`);
}

export interface GgmTrees {
  /** trees × 2^depth leaves of 16 bytes, tree by tree. */
  leaves: Uint8Array;
  /** trees × depth × 2 blocks: per tree and level below the root, the XOR of its left children, then of its right. */
  sums: Uint8Array;
}

/** The holder's side: every leaf of the trees under `roots` (16 bytes each), and the level sums. */
export function ggmExpand(roots: Uint8Array, trees: number, depth: number, backend: AesBackend): GgmTrees {
  checkTrees("ggmExpand", trees, depth);
  if (roots.length !== 16 * trees) throw new RangeError(`ggmExpand: roots must hold ${trees} roots of 16 bytes, got ${roots.length} bytes`);
  const sums = new Uint32Array(trees * depth * 8);
  let nodes = roots;
  for (let h = 0; h < depth; h++) {
    nodes = children(nodes, backend);
    const w = new Uint32Array(nodes.buffer, nodes.byteOffset, nodes.length / 4);
    const width = 2 << h;
    for (let j = 0; j < trees; j++) {
      const at = (j * depth + h) * 8;
      xorEvery2(w, j * width, (j + 1) * width, sums, at);
      xorEvery2(w, j * width + 1, (j + 1) * width, sums, at + 4);
    }
  }
  return { leaves: nodes, sums: new Uint8Array(sums.buffer) };
}

/**
 * The other party's side: the leaves of every tree except leaf points[j] of tree j (left zero), from `offPath`, per
 * tree and level below the root, the holder's sum of the side its path does not take (trees × depth blocks).
 */
export function ggmPunctured(points: Uint32Array, offPath: Uint8Array, depth: number, backend: AesBackend): Uint8Array {
  const trees = points.length;
  checkTrees("ggmPunctured", trees, depth);
  if (offPath.length !== 16 * trees * depth) throw new RangeError(`ggmPunctured: offPath must hold ${trees * depth} blocks, got ${offPath.length} bytes`);
  points.forEach((a, j) => {
    if (a >= 2 ** depth) throw new RangeError(`ggmPunctured: points[${j}] = ${a} is not a leaf of a depth-${depth} tree`);
  });
  const known = new Uint32Array(offPath.buffer.slice(offPath.byteOffset, offPath.byteOffset + offPath.length));
  // The unknown roots are zero; each level overwrites the two children of the zero path node.
  let nodes: Uint8Array = new Uint8Array(16 * trees);
  const sum = new Uint32Array(4);
  for (let h = 0; h < depth; h++) {
    nodes = children(nodes, backend);
    const w = new Uint32Array(nodes.buffer, nodes.byteOffset, nodes.length / 4);
    const width = 2 << h;
    for (let j = 0; j < trees; j++) {
      const path = points[j] >>> (depth - 1 - h);
      const onPath = j * width + path;
      const sibling = onPath ^ 1;
      const side = sibling & 1;
      // sibling = (holder's sum of its side) ⊕ (the other nodes of that side), which this party knows.
      const s = 4 * sibling;
      sum.set(known.subarray((j * depth + h) * 4, (j * depth + h) * 4 + 4));
      xorEvery2(w, j * width + side, (j + 1) * width, sum, 0);
      for (let q = 0; q < 4; q++) w[s + q] ^= sum[q];
      w.fill(0, 4 * onPath, 4 * onPath + 4);
    }
  }
  return nodes;
}
