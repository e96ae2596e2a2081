// The layers import downwards only: core → net → ot → mpc. An import that runs up (ot reaching into mpc for a
// bit helper, say) fails here with the file and the import named.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../src");
/** The layers each one may import besides itself. */
const ALLOWED: Record<string, string[]> = { core: [], net: ["core"], ot: ["core", "net"], mpc: ["core", "net", "ot"] };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("layering", () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`src/${layer} imports only from ${[layer, ...allowed].join(", ")}`, () => {
      const bad: string[] = [];
      for (const file of sources(join(SRC, layer))) {
        for (const m of readFileSync(file, "utf8").matchAll(/^import[^"]*"(\.[^"]+)"/gm)) {
          const target = join(file, "..", m[1]).slice(SRC.length + 1).split("/")[0];
          if (target !== layer && !allowed.includes(target)) bad.push(`${file.slice(SRC.length + 1)} imports ${m[1]}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
