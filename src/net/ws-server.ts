// The server side of the WebSocket transport (Node, the `ws` package): a listener shaped like tcp.ts's, whose
// accepted connections are ws.ts channels, so serve.ts runs browser clients through the same loop as TCP ones.
// Browsers send the page's Origin with the upgrade request and let any page open a WebSocket to any host, so only
// pages from allowed origins get a connection; clients without an Origin (not browsers) are let in, as on TCP.
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { checkChannelOptions } from "./base.js";
import { ProtocolError } from "./errors.js";
import { AcceptQueue, checkPort, networkDefaults, type ListenOptions, type StreamListener } from "./stream.js";
import { WS_MESSAGE_BYTES, WsChannel } from "./ws.js";

export interface WsListenOptions extends ListenOptions {
  /**
   * Origins whose pages may connect, as the browser sends them ("https://example.org", "http://127.0.0.1:8080");
   * "*" allows every page. Default: none (only clients that send no Origin).
   */
  origins?: string[];
  /** Told of each refused connection (default: nothing). */
  log?: (line: string) => void;
}

export interface WsListener extends StreamListener<WsChannel> {
  readonly host: string;
  /** The bound port (the system's choice when listening on port 0). */
  readonly port: number;
  /** "ws://host:port/" for clients. */
  readonly url: string;
}

function remoteOf(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? "?";
  return `${addr.includes(":") ? `[${addr}]` : addr}:${req.socket.remotePort ?? "?"}`;
}

/** Checks a list of origins as browsers send them (scheme://host[:port], no path) or "*"; `field` names it in errors. */
export function checkOrigins(origins: unknown, field = "origins"): string[] {
  if (!Array.isArray(origins)) throw new TypeError(`${field} must be an array of origins`);
  return origins.map((o: unknown, i) => {
    if (o === "*") return o;
    if (typeof o !== "string" || !/^https?:\/\/[^/\s]+$/.test(o)) throw new TypeError(`${field}[${i}] must be "*" or an origin such as "https://example.org", got ${JSON.stringify(o)}`);
    return o.toLowerCase();
  });
}

/**
 * Listens for WebSocket connections on host:port (loopback by default). Channels default to `peer: "client"` and a
 * 64 KiB frame limit until the client's hello; a WebSocket message may be WS_MESSAGE_BYTES at most (ws.ts).
 */
export async function listenWs(port: number, host = "127.0.0.1", opts: WsListenOptions = {}): Promise<WsListener> {
  checkPort(port, "port");
  if (typeof opts !== "object" || opts === null) throw new TypeError("listenWs options must be an object");
  const { hold = false, origins = [], log, ...rest } = opts;
  if (typeof hold !== "boolean") throw new TypeError(`hold must be a boolean, got ${String(hold)}`);
  if (log !== undefined && typeof log !== "function") throw new TypeError("log must be a function");
  const allowed = new Set(checkOrigins(origins));
  const channelOpts = networkDefaults(rest, "client");
  checkChannelOptions(channelOpts);
  // Channels cut what they send into messages of at most WS_MESSAGE_BYTES (frames are reassembled across them), so
  // ws may refuse anything larger from the message's header, before buffering it.
  const maxPayload = WS_MESSAGE_BYTES;
  let address = `${host}:${port}`;
  const queue = new AcceptQueue<WsChannel>(() => address);
  const wss = new WebSocketServer({
    port,
    host,
    maxPayload,
    perMessageDeflate: false, // shares and ciphertexts do not compress
    verifyClient: (info: { origin: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      const origin = info.origin;
      if (!origin || allowed.has("*") || allowed.has(origin.toLowerCase())) return done(true);
      log?.(`serve: refused a WebSocket connection from ${remoteOf(info.req)}: Origin ${origin} is not allowed (--ws-origin)`);
      done(false, 403, "Origin not allowed");
    },
  });
  wss.on("connection", (socket: WebSocket, req: IncomingMessage) => queue.push(new WsChannel(socket, remoteOf(req), channelOpts, hold, undefined, maxPayload)));
  await new Promise<void>((resolve, reject) => {
    wss.once("error", (err) => reject(new ProtocolError(`cannot listen on ${host}:${port}: ${err.message}`)));
    wss.once("listening", () => resolve());
  });
  const bound = (wss.address() as AddressInfo).port;
  address = `ws://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  wss.on("error", (err) => queue.fail(err));
  return {
    host,
    port: bound,
    url: `${address}/`,
    address,
    holds: hold,
    accept: () => queue.accept(),
    close() {
      queue.close();
      // Stops the HTTP server from taking new connections; open WebSockets stay (ws ≥ 8 leaves them).
      wss.close();
    },
  };
}
