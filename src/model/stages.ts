// Per-stage summary of a private inference from one endpoint's channel scopes: the stages of every layer are
// summed by name (qkv, softmax, gelu...), top-level stages (input, pooler, he.setup...) kept, and layers totalled.
import type { ScopeTraffic } from "../net/channel.js";

export interface StageCost {
  ms: number;
  bytes: number;
  /** Flights sent plus flights received at this endpoint. */
  rounds: number;
}

export interface StageSummary {
  /** Stage name → cost, layers summed. */
  stages: Record<string, StageCost>;
  /** Per layer totals, in order. */
  layers: StageCost[];
}

const LAYER = /^layer(\d+)$/;

function cost(s: ScopeTraffic): StageCost {
  return { ms: s.ms, bytes: s.bytesSent + s.bytesReceived, rounds: s.flightsSent + s.flightsReceived };
}

function addTo(rec: Record<string, StageCost>, name: string, c: StageCost): void {
  const t = (rec[name] ??= { ms: 0, bytes: 0, rounds: 0 });
  t.ms += c.ms;
  t.bytes += c.bytes;
  t.rounds += c.rounds;
}

export function summarizeStages(scopes: readonly ScopeTraffic[]): StageSummary {
  const stages: Record<string, StageCost> = {};
  const layers: StageCost[] = [];
  for (const s of scopes) {
    const parts = s.name.split("/");
    const layer = LAYER.exec(parts[0]);
    if (parts.length === 1) {
      if (layer) layers[Number(layer[1])] = cost(s);
      else addTo(stages, parts[0], cost(s));
    } else if (parts.length === 2 && layer) addTo(stages, parts[1], cost(s));
  }
  return { stages, layers };
}

/** An aligned text table of the summary. */
export function formatStages(sum: StageSummary): string {
  const rows: string[][] = [["stage", "ms", "bytes", "rounds"]];
  const row = (name: string, c: StageCost) => rows.push([name, c.ms.toFixed(1), String(c.bytes), String(c.rounds)]);
  for (const [name, c] of Object.entries(sum.stages)) row(name, c);
  sum.layers.forEach((c, l) => row(`(layer ${l})`, c));
  return formatTable(rows);
}

/** Rows of cells as aligned text: the first column left-aligned, the others right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ")).join("\n");
}
