// The peer of bench/channel.ts in a worker thread: echoes every "ping" and drains every "bulk" frame it is told of.
import { parentPort } from "node:worker_threads";
import { portChannel } from "../src/net/port.js";

if (!parentPort) throw new Error("channel-echo-worker must run as a worker thread");
parentPort.once("message", async ({ port }: { port: MessagePort }) => {
  const ch = portChannel(port);
  try {
    for (;;) {
      const cmd = new TextDecoder().decode(await ch.recv("cmd"));
      const [op, n] = cmd.split(" ");
      const count = Number(n);
      if (op === "echo") for (let i = 0; i < count; i++) ch.send("pong", await ch.recv("ping"));
      else if (op === "drain") {
        for (let i = 0; i < count; i++) await ch.recv("bulk");
        ch.send("drained", new Uint8Array(0));
      } else break;
    }
  } finally {
    ch.close();
  }
});
