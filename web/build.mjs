// Bundles the browser pages into web/dist (or `outDir`): each entry of ENTRIES becomes an ES module, code shared by
// entries becomes chunk-*.js beside them, and node-seal, imported dynamically, its own throws_wasm_web_es-*.js, which
// a page fetches only when it uses the seal HE backend. Every web/*.html is copied there too, and the hashed chunks
// of earlier builds are removed.
// Usage: node web/build.mjs [--out DIR] [--minify]
import { copyFile, mkdir, readdir, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";

const WEB = fileURLToPath(new URL(".", import.meta.url));

/** Entry points, relative to web/; a page loads `<name>.js` for `<name>.ts`. */
export const ENTRIES = ["protocols.ts", "protocols-worker.ts", "infer.ts", "infer-worker.ts"];

/** Modules that only Node has. Pages must never call them; their importers still bundle (see `stubs`). */
const NODE_ONLY = ["piscina", ...builtinModules.filter((m) => !m.startsWith("_"))];
const isNodeOnly = (spec) => spec.startsWith("node:") || NODE_ONLY.includes(spec);

/**
 * Resolves each Node-only module to a stub with the same export names, every one a function that throws naming the
 * module, so a page that reaches one fails with a clear error instead of a failed fetch or an undefined.
 */
const stubs = {
  name: "node-only-stubs",
  setup(b) {
    const require = createRequire(import.meta.url);
    b.onResolve({ filter: /.*/ }, (args) => (isNodeOnly(args.path) ? { path: args.path, namespace: "node-only" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "node-only" }, (args) => {
      const spec = args.path;
      const names = Object.keys(require(spec)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default");
      const lines = [
        `const fail = (name) => function () { throw new Error(${JSON.stringify(spec)} + " is Node-only and not available in a browser page (" + name + " called)"); };`,
        ...names.map((k) => `export const ${k} = fail(${JSON.stringify(k)});`),
        `export default fail("default");`,
      ];
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

/** Builds every entry into `outDir` (default web/dist) and copies web/*.html there; returns the output file names. */
export async function build({ outDir = fileURLToPath(new URL("dist/", import.meta.url)), minify = false } = {}) {
  await mkdir(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: ENTRIES.map((e) => WEB + e),
    outdir: outDir,
    bundle: true,
    format: "esm",
    splitting: true,
    platform: "browser",
    target: "chrome120",
    minify,
    sourcemap: true,
    // node-seal's "browser" field names a UMD build that requires Node's url module; its ES web build inlines the wasm.
    alias: { "node-seal": "node-seal/throws_wasm_web_es.js" },
    plugins: [stubs],
    logLevel: "warning",
    metafile: true,
  });
  const pages = (await readdir(WEB)).filter((f) => f.endsWith(".html"));
  await Promise.all(pages.map((f) => copyFile(WEB + f, `${outDir}/${f}`)));
  // Hashed chunks of earlier builds: only files of that shape that this build did not write.
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => basename(f)));
  const stale = (await readdir(outDir)).filter((f) => /^(chunk|throws_wasm_web_es)-[A-Z0-9]+\.js(\.map)?$/.test(f) && !written.has(f));
  await Promise.all(stale.map((f) => unlink(`${outDir}/${f}`)));
  return [...Object.keys(result.metafile.outputs), ...pages];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" }, minify: { type: "boolean", default: false } } });
  const files = await build({ outDir: values.out, minify: values.minify });
  console.log(files.join("\n"));
}
