// Session start: both parties send the protocol version, their role and every parameter that must agree (ring,
// scale, HE parameters, model hash, thresholds...), with a hash of the list. Any difference fails both sides with
// the same message naming the field and both values, and the failing side also sends it as an abort. One-sided facts
// (say the server's weights hash, when the client pins none) travel as `info`, shown to the peer but not compared.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Channel, RecvOptions, Role } from "./channel.js";
import { BaseChannel } from "./base.js";
import { ParameterMismatchError, ProtocolError } from "./errors.js";

export const PROTOCOL_VERSION = 1;

export type ParamValue = string | number | boolean;
export type HandshakeParams = Record<string, ParamValue>;

interface Hello {
  version: number;
  role: Role;
  params: [string, ParamValue][];
  hash: string;
  info: [string, ParamValue][];
}

export interface HandshakeOptions extends RecvOptions {
  /** Facts shown to the peer but not compared. */
  info?: HandshakeParams;
}

export interface HandshakeResult {
  /** The agreed parameter hash (`paramsHash`). */
  hash: string;
  /** The peer's `info`. */
  peerInfo: HandshakeParams;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function canonical(params: HandshakeParams): [string, ParamValue][] {
  return Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
}

/** The hash both sides agree on: SHA-256 of the sorted parameter list in JSON, hex. */
export function paramsHash(params: HandshakeParams): string {
  return bytesToHex(sha256(encoder.encode(JSON.stringify(canonical(params)))));
}

function checkParams(params: unknown, field: string): HandshakeParams {
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new TypeError(`handshake: ${field} must be a plain object`);
  for (const [k, v] of Object.entries(params)) {
    if (k === "") throw new TypeError(`handshake: ${field} names must be non-empty`);
    const ok = typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    if (!ok) throw new TypeError(`handshake: ${field} "${k}" must be a string, a finite number or a boolean, got ${String(v)}`);
  }
  return params as HandshakeParams;
}

const isEntryList = (x: unknown) => Array.isArray(x) && x.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string");

function parseHello(bytes: Uint8Array): Hello {
  let h: Hello;
  try {
    h = JSON.parse(decoder.decode(bytes)) as Hello;
  } catch {
    throw new ProtocolError("handshake: the peer's hello is not valid UTF-8 JSON");
  }
  if (typeof h !== "object" || h === null) throw new ProtocolError("handshake: the peer's hello is not an object");
  if (!Number.isInteger(h.version)) throw new ProtocolError("handshake: the peer's hello has no integer field \"version\"");
  if (h.role !== "server" && h.role !== "client") throw new ProtocolError("handshake: the peer's hello has no valid field \"role\"");
  if (!isEntryList(h.params)) throw new ProtocolError("handshake: the peer's hello has no valid field \"params\"");
  if (typeof h.hash !== "string") throw new ProtocolError("handshake: the peer's hello has no field \"hash\"");
  if (!isEntryList(h.info)) throw new ProtocolError("handshake: the peer's hello has no valid field \"info\"");
  return h;
}

const show = (v: ParamValue | undefined) => (v === undefined ? "(absent)" : JSON.stringify(v));

/** The differences, named from the server's and the client's side so that both parties word them the same way. */
function compare(server: HandshakeParams, client: HandshakeParams): ParameterMismatchError | undefined {
  const keys = [...new Set([...Object.keys(server), ...Object.keys(client)])].sort();
  const diffs = keys.filter((k) => server[k] !== client[k]);
  if (diffs.length === 0) return undefined;
  const lines = diffs.map((k) => `parameter "${k}" differs: server ${show(server[k])}, client ${show(client[k])}`);
  return new ParameterMismatchError(diffs[0], lines.join("; "));
}

function check(role: Role, hash: string, params: HandshakeParams, peer: Hello): ProtocolError | undefined {
  const peerParams = Object.fromEntries(peer.params);
  const [sv, cv] = role === "server" ? [PROTOCOL_VERSION, peer.version] : [peer.version, PROTOCOL_VERSION];
  if (sv !== cv) return new ParameterMismatchError("version", `protocol version differs: server ${sv}, client ${cv}`);
  if (peer.role === role) return new ParameterMismatchError("role", `both sides claim the role "${role}"`);
  if (paramsHash(peerParams) !== peer.hash) return new ProtocolError("handshake: the peer's parameter hash does not match its parameter list");
  if (peer.hash === hash) return undefined;
  return (role === "server" ? compare(params, peerParams) : compare(peerParams, params)) ?? new ProtocolError("handshake: parameter hashes differ");
}

/**
 * Runs the handshake on a fresh channel. Resolves with the agreed parameter hash and the peer's info; rejects with a
 * ParameterMismatchError (version, role or a parameter) on both sides, or a ProtocolError for a malformed hello.
 */
export async function handshake(ch: Channel, role: Role, params: HandshakeParams, opts: HandshakeOptions = {}): Promise<HandshakeResult> {
  if (!(ch instanceof BaseChannel)) throw new TypeError("handshake: the channel must come from memoryPair, listen/connect or another BaseChannel");
  if (role !== "server" && role !== "client") throw new TypeError(`handshake: role must be "server" or "client", got ${String(role)}`);
  checkParams(params, "parameter");
  const info = checkParams(opts.info ?? {}, "info");
  const hash = paramsHash(params);
  const hello: Hello = { version: PROTOCOL_VERSION, role, params: canonical(params), hash, info: canonical(info) };
  ch.sendHandshake(encoder.encode(JSON.stringify(hello)));
  const bytes = await ch.recvHandshake(opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs });
  try {
    const peer = parseHello(bytes);
    const err = check(role, hash, params, peer);
    if (err !== undefined) throw err;
    return { hash, peerInfo: Object.fromEntries(peer.info) };
  } catch (err) {
    ch.abort(err as Error);
    throw err;
  }
}
