// Headless Chromium through playwright-core, which drives an installed browser and never downloads one.
import { existsSync } from "node:fs";

/** The flags of every headless run: no GPU, no network services of the browser's own. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** $CHROMIUM, else /usr/bin/chromium; throws saying how to get one when neither exists. */
export function chromiumPath() {
  const path = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}${process.env.CHROMIUM ? " (from $CHROMIUM)" : ""}: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/chromium`,
    );
  }
  return path;
}

/** Launches headless Chromium. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}
