// A static server for the built pages (web/dist) on loopback only. It sends COOP/COEP, so pages are
// crossOriginIsolated and may use SharedArrayBuffer (shared WASM memory for Worker threads).
// Usage: node web/serve.mjs [--port 8080] [--dir web/dist]
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

const HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
};

/**
 * Serves `dir` (default web/dist) on http://127.0.0.1:`port` (0: any free port). "/" lists the pages.
 * Returns the base URL (with a trailing slash) and `close`.
 */
export async function serve({ dir = fileURLToPath(new URL("dist/", import.meta.url)), port = 0 } = {}) {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in [0, 65535], got ${port}`);
  const root = resolve(dir);
  const send = (res, status, type, body) => {
    res.writeHead(status, { ...HEADERS, "Content-Type": type });
    res.end(body);
  };
  const handle = async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      return send(res, 400, "text/plain", "bad path\n");
    }
    if (path === "/") {
      const pages = (await readdir(root)).filter((f) => f.endsWith(".html"));
      return send(res, 200, MIME[".html"], `<!doctype html><title>cipherprune</title><ul>${pages.map((p) => `<li><a href="${p}">${p}</a>`).join("")}</ul>\n`);
    }
    // Resolve inside the root only: "..", encoded or not, and absolute paths cannot leave it.
    const file = resolve(root, `.${path}`);
    if (path.includes("\0") || !file.startsWith(root + sep)) return send(res, 403, "text/plain", "forbidden\n");
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return send(res, 404, "text/plain", "not found\n");
    res.writeHead(200, { ...HEADERS, "Content-Type": MIME[extname(file)] ?? "application/octet-stream", "Content-Length": info.size });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  };
  const server = createServer((req, res) => handle(req, res).catch((e) => send(res, 500, "text/plain", `${e.message}\n`)));
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", ok);
  });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const close = () => new Promise((ok) => {
    server.closeAllConnections();
    server.close(() => ok(undefined));
  });
  return { url, close };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "8080" }, dir: { type: "string" } } });
  const { url } = await serve({ dir: values.dir, port: Number(values.port) });
  console.log(url);
}
