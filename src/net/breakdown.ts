// A per-protocol breakdown of one endpoint's traffic, for logs and the command line: scope → bytes, flights, time.
import type { ScopeTraffic, Traffic } from "./channel.js";

const COLUMNS = ["scope", "bytes sent", "bytes received", "flights sent", "flights received", "ms"];

/**
 * Formats `scopes()` (plus the channel's totals, if given) as an aligned text table. Nested scopes are indented
 * under their parent; a scope's figures include its children's.
 */
export function formatBreakdown(scopes: readonly ScopeTraffic[], total?: Traffic): string {
  // Depth first, children under their parent, siblings in order of first use.
  const children = new Map<string, ScopeTraffic[]>();
  for (const s of scopes) {
    const parent = s.name.slice(0, Math.max(0, s.name.lastIndexOf("/")));
    const list = children.get(parent);
    if (list) list.push(s);
    else children.set(parent, [s]);
  }
  const ordered: ScopeTraffic[] = [];
  const visit = (path: string) => {
    for (const s of children.get(path) ?? []) {
      ordered.push(s);
      visit(s.name);
    }
  };
  visit("");
  const rows = ordered.map((s) => {
    const depth = s.name.split("/").length - 1;
    const label = "  ".repeat(depth) + s.name.slice(s.name.lastIndexOf("/") + 1);
    return [label, s.bytesSent, s.bytesReceived, s.flightsSent, s.flightsReceived, s.ms.toFixed(1)].map(String);
  });
  if (total) rows.push(["(total)", total.bytesSent, total.bytesReceived, total.flightsSent, total.flightsReceived, ""].map(String));
  const table = [COLUMNS, ...rows];
  const widths = COLUMNS.map((_, j) => Math.max(...table.map((r) => r[j].length)));
  return table.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ").trimEnd()).join("\n");
}
