import { describe, expect, it } from "vitest";
import { formatBreakdown } from "../src/net/breakdown.js";
import { memoryPair } from "../src/net/memory.js";

describe("formatBreakdown", () => {
  it("prints nested scopes under their parent with their counters", async () => {
    const [s, c] = memoryPair();
    await s.scope("layer", async () => {
      await s.scope("gelu", async () => s.send("g", new Uint8Array(5)));
      await s.scope("softmax", async () => {
        await s.scope("exp", async () => s.send("e", new Uint8Array(1)));
      });
      await s.scope("gelu", async () => s.send("g", new Uint8Array(5)));
    });
    await s.scope("argmax", async () => s.send("a", new Uint8Array(0)));
    for (const t of ["g", "e", "g", "a"]) await c.recv(t);
    // Each entry of a scope starts a flight of its own; "layer" saw a single flight of sends.
    const text = formatBreakdown(s.scopes(), s.traffic).replace(/\d+\.\d/g, "T");
    const lines = text.split("\n").map((l) => l.split(/\s{2,}/));
    expect(lines).toEqual([
      ["scope", "bytes sent", "bytes received", "flights sent", "flights received", "ms"],
      ["layer", "44", "0", "1", "0", "T"],
      ["", "gelu", "32", "0", "2", "0", "T"],
      ["", "softmax", "12", "0", "1", "0", "T"],
      ["", "exp", "12", "0", "1", "0", "T"],
      ["argmax", "11", "0", "1", "0", "T"],
      ["(total)", "55", "0", "1", "0"],
    ]);
    expect(text.split("\n")[4].startsWith("    exp")).toBe(true);
  });
});
