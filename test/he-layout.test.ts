// The packing of HE products: tokens split between the two slot rows, the upload format chosen by the number of
// inputs, the rotation keys it needs and what a turn does to the slots. (The products themselves: he-product.)
import { describe, expect, it } from "vitest";
import { layoutFor, outputSlot, rotationSteps, slotOf, turnBlocks, TWO_COPIES_BELOW_INPUTS, uploadVectors } from "../src/he/layout.js";

describe("HE product layout", () => {
  // 99 rows: 50 in slot row 0 and 49 in row 1, blocks of 64, so 64 columns per ciphertext.
  const l = layoutFor(8192, 99, TWO_COPIES_BELOW_INPUTS * 64 + 37, 37);

  it("uploads each input once from the threshold on, twice (two turns) below it; one Galois step", () => {
    expect([l.half, l.block, l.g, l.inCts, l.outCts, l.copies]).toEqual([50, 64, 64, TWO_COPIES_BELOW_INPUTS + 1, 1, 1]);
    expect(rotationSteps(l)).toEqual([64]);
    const few = layoutFor(8192, 99, (TWO_COPIES_BELOW_INPUTS - 1) * 64, 70);
    expect([few.copies, ...rotationSteps(few)]).toEqual([2, 128]);
    expect(rotationSteps(layoutFor(8192, 8192, 3, 3))).toEqual([]);
    expect(() => layoutFor(8192, 8193, 1, 1)).toThrow(/exceed/);
    expect(() => layoutFor(8192, 0, 1, 1)).toThrow(/n must be a positive integer/);
  });

  it("few rows: only the giant steps with nonzero diagonals, the output blocks shifted so that all turn left", () => {
    // 9 rows: blocks of 8, g = 512, two turns, 256 giant steps; input block q meets output column j at offset
    // q − j + 23 ∈ [0, 63) only.
    const small = layoutFor(8192, 9, 40, 24);
    expect([small.block, small.g, small.copies, small.steps, small.outShift]).toEqual([8, 512, 2, 32, 512 - 23]);
    expect(rotationSteps(small)).toEqual([16]);
    expect(outputSlot(small, 0, 0)).toEqual({ ct: 0, slot: (512 - 23) * 8 });
    expect(outputSlot(small, 8, 23)).toEqual({ ct: 0, slot: 4096 + 3 });
    const one = layoutFor(8192, 9, 40, 1);
    expect([one.steps, one.outShift]).toEqual([20, 0]);
    // Wide enough that every offset occurs: all steps, no shift.
    const wide = layoutFor(8192, 9, 300, 300);
    expect([wide.steps, wide.outShift]).toEqual([256, 0]);
  });

  it("partial ciphertexts and the rotation keys they need", () => {
    const l = layoutFor(8192, 100, 64 + 101, 70);
    expect([l.block, l.g, l.inCts, l.outCts, l.copies]).toEqual([64, 64, 3, 2, 2]);
    expect(rotationSteps(l)).toEqual([128]);
  });

  it("places rows 0..49 in slot row 0 and the rest in row 1", () => {
    expect(slotOf(l, 0, 0)).toEqual({ ct: 0, slot: 0 });
    expect(slotOf(l, 49, 65)).toEqual({ ct: 1, slot: 64 + 49 });
    expect(slotOf(l, 50, 65)).toEqual({ ct: 1, slot: 4096 + 64 });
    expect(slotOf(l, 98, 63)).toEqual({ ct: 0, slot: 4096 + 63 * 64 + 48 });
  });

  it("a turn moves whole blocks left within each row, as SEAL's rotateRows does", () => {
    const v = BigUint64Array.from({ length: 8192 }, (_, i) => BigInt(i));
    const turned = turnBlocks(l, v, 1);
    expect([turned[0], turned[4095 - 64], turned[4095], turned[4096], turned[8191]]).toEqual([64n, 4095n, 63n, 4160n, 4159n]);
    const few = layoutFor(8192, 99, 64, 70);
    expect(uploadVectors(few, [v])).toEqual([v, turnBlocks(few, v, 1)]);
  });
});
