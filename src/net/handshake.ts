// Session start: both parties send the protocol version, their role and every parameter that must agree (ring,
// scale, HE parameters, public-model hashes, pruning mode...), with a hash of the list. Any difference fails both
// sides with the same message naming the field and both values, and the failing side also sends it as an abort.
// One-sided facts travel as `info`, shown to the peer but not compared. A party may choose its parameters from the
// peer's (a client that adopts the server's model and sequence length): it then reads the peer's hello before
// sending its own, which costs no round since the other side sends first.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Channel, RecvOptions, Role } from "./channel.js";
import { BaseChannel } from "./base.js";
import { ParameterMismatchError, ProtocolError } from "./errors.js";

export const PROTOCOL_VERSION = 2;

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
  /** This party's parameters (as chosen, when they came from the peer's) and the peer's; equal on success. */
  params: HandshakeParams;
  peerParams: HandshakeParams;
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

/** Parameters (and info) chosen after reading the peer's hello: its parameters and info in. */
export type ParamsFrom = (peerParams: HandshakeParams, peerInfo: HandshakeParams) => Promise<{ params: HandshakeParams; info?: HandshakeParams }>;

function helloBytes(role: Role, params: HandshakeParams, info: HandshakeParams): Uint8Array {
  const hello: Hello = { version: PROTOCOL_VERSION, role, params: canonical(params), hash: paramsHash(params), info: canonical(info) };
  return encoder.encode(JSON.stringify(hello));
}

/**
 * Runs the handshake on a fresh channel. `params` is this party's list, or a function choosing it from the peer's
 * (the peer must then send first without waiting, as a party with a fixed list does). Resolves with the agreed
 * parameter hash, both lists and the peer's info; rejects with a ParameterMismatchError (version, role or a
 * parameter) on both sides, or a ProtocolError for a malformed hello.
 */
export async function handshake(ch: Channel, role: Role, params: HandshakeParams | ParamsFrom, opts: HandshakeOptions = {}): Promise<HandshakeResult> {
  if (!(ch instanceof BaseChannel)) throw new TypeError("handshake: the channel must come from memoryPair, listen/connect or another BaseChannel");
  if (role !== "server" && role !== "client") throw new TypeError(`handshake: role must be "server" or "client", got ${String(role)}`);
  if (typeof params !== "function") ch.sendHandshake(helloBytes(role, checkParams(params, "parameter"), checkParams(opts.info ?? {}, "info")));
  const bytes = await ch.recvHandshake(opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs });
  try {
    const peer = parseHello(bytes);
    const peerParams = Object.fromEntries(peer.params);
    const peerInfo = Object.fromEntries(peer.info);
    let own: HandshakeParams;
    if (typeof params === "function") {
      // A version or role mismatch, or a list that does not match its hash, fails before the list is interpreted.
      const early = check(role, peer.hash, peerParams, peer);
      if (early !== undefined) throw early;
      const chosen = await params(peerParams, peerInfo);
      own = checkParams(chosen.params, "parameter");
      ch.sendHandshake(helloBytes(role, own, checkParams(chosen.info ?? {}, "info")));
    } else own = params;
    const hash = paramsHash(own);
    const err = check(role, hash, own, peer);
    if (err !== undefined) throw err;
    return { hash, params: own, peerParams, peerInfo };
  } catch (err) {
    ch.abort(err as Error);
    throw err;
  }
}
