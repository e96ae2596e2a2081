// The public model on the wire: the client model's files (config.json, vocab.txt, the embedding tables) in one
// message, and the hash of each file that the handshake compares, so that a mismatch names the file that differs.
// No node: imports: a browser client uses this too.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { loadPublicModel, publicModelFiles, type PublicModel } from "./directory.js";

/** The files of a client model, in the order they are packed; the handshake parameter that carries each one's hash. */
export const PUBLIC_FILES = [
  ["config.json", "model.config"],
  ["vocab.txt", "model.vocab"],
  ["model.safetensors", "model.embeddings"],
] as const;

export type PublicHashes = Record<(typeof PUBLIC_FILES)[number][1], string>;

/** SHA-256 (hex) of each public file, keyed by its handshake parameter. */
export function publicHashes(files: Map<string, Uint8Array>): PublicHashes {
  const out: Record<string, string> = {};
  for (const [name, param] of PUBLIC_FILES) {
    const f = files.get(name);
    if (!f) throw new RangeError(`public model: ${name} is missing`);
    out[param] = bytesToHex(sha256(f));
  }
  return out as PublicHashes;
}

/** The public model's files and their hashes. */
export function publicModelOf(model: PublicModel): { files: Map<string, Uint8Array>; hashes: PublicHashes } {
  const files = publicModelFiles(model);
  return { files, hashes: publicHashes(files) };
}

const MAX_NAME = 255;

/** One message: u8 file count, then per file u8 name length, the name (UTF-8), u32 LE length, the bytes. */
export function packFiles(files: Map<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const names = [...files.keys()].map((n) => enc.encode(n));
  if (names.length > 255) throw new RangeError(`packFiles: ${names.length} files; at most 255`);
  names.forEach((n, i) => {
    if (n.length === 0 || n.length > MAX_NAME) throw new RangeError(`packFiles: file name ${i} must have 1..${MAX_NAME} bytes`);
  });
  const sizes = [...files.values()].map((f) => f.length);
  const out = new Uint8Array(1 + names.reduce((s, n, i) => s + 1 + n.length + 4 + sizes[i], 0));
  const view = new DataView(out.buffer);
  out[0] = names.length;
  let at = 1;
  [...files.values()].forEach((data, i) => {
    out[at++] = names[i].length;
    out.set(names[i], at);
    at += names[i].length;
    view.setUint32(at, data.length, true);
    out.set(data, at + 4);
    at += 4 + data.length;
  });
  return out;
}

/** Inverse of packFiles; `source` names the message in errors (truncated, trailing bytes, repeated names). */
export function unpackFiles(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const dec = new TextDecoder("utf-8", { fatal: true });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at + n > bytes.length) throw new RangeError(`${source}: truncated in ${what} (${bytes.length} bytes)`);
  };
  need(0, 1, "the file count");
  const files = new Map<string, Uint8Array>();
  let at = 1;
  for (let i = 0; i < bytes[0]; i++) {
    need(at, 1, `file ${i}'s name length`);
    const len = bytes[at++];
    need(at, len + 4, `file ${i}'s name`);
    let name: string;
    try {
      name = dec.decode(bytes.subarray(at, at + len));
    } catch {
      throw new RangeError(`${source}: file ${i}'s name is not UTF-8`);
    }
    if (files.has(name)) throw new RangeError(`${source}: file "${name}" appears twice`);
    const size = view.getUint32(at + len, true);
    at += len + 4;
    need(at, size, `file "${name}"`);
    files.set(name, bytes.subarray(at, at + size));
    at += size;
  }
  if (at !== bytes.length) throw new RangeError(`${source}: ${bytes.length - at} bytes after the last file`);
  return files;
}

/**
 * The public model from its files, each checked against the hash the peer announced in the handshake; an error
 * names the file that differs.
 */
export async function publicModelFromFiles(files: Map<string, Uint8Array>, expected: PublicHashes, where: string): Promise<PublicModel> {
  const got = publicHashes(files);
  for (const [name, param] of PUBLIC_FILES) {
    if (got[param] !== expected[param]) throw new RangeError(`${where}: ${name} has SHA-256 ${got[param]}, the server announced ${expected[param]}`);
  }
  return loadPublicModel(async (name) => files.get(name), where);
}
