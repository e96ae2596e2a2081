// A dependency-free SVG line chart: one or more panels sharing the x axis (log2), each with a log10 y axis and
// one line per series.

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ["#1b7837", "#c51b7d", "#2166ac", "#e08214", "#762a83", "#4d4d4d"];
const W = 460;
const H = 320;
const M = { left: 70, right: 20, top: 34, bottom: 46 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(v: number): string {
  if (v >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function panel(p: Panel, ox: number, xLabel: string): string {
  const pts = p.series.flatMap((s) => s.points).filter((q) => q.y > 0);
  if (pts.length === 0) return "";
  const xs = pts.map((q) => Math.log2(q.x));
  const ys = pts.map((q) => Math.log10(q.y));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = Math.floor(Math.min(...ys));
  const y1 = Math.max(Math.ceil(Math.max(...ys)), y0 + 1);
  const round = (v: number) => Math.round(v * 10) / 10;
  const px = (x: number) => round(ox + M.left + ((Math.log2(x) - x0) / (x1 - x0)) * (W - M.left - M.right));
  const py = (y: number) => round(M.top + (1 - (Math.log10(y) - y0) / (y1 - y0)) * (H - M.top - M.bottom));
  const out: string[] = [];
  out.push(`<text x="${ox + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${y + 4}" text-anchor="end">${fmt(10 ** e)}</text>`);
  }
  const ticks = [...new Set(pts.map((q) => q.x))].sort((a, b) => a - b);
  for (const t of ticks) {
    const x = px(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${ox + W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14},${H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const good = s.points.filter((q) => q.y > 0);
    const path = good.map((q, k) => `${k ? "L" : "M"}${px(q.x)},${py(q.y)}`).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const q of good) out.push(`<circle cx="${px(q.x)}" cy="${py(q.y)}" r="3" fill="${c}"/>`);
  });
  return out.join("\n");
}

/** Panels side by side with a shared legend underneath. */
export function lineChart(panels: Panel[], xLabel: string): string {
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const width = W * panels.length;
  const legendRows = Math.ceil(names.length / 3);
  const height = H + 10 + legendRows * 20;
  const body = panels.map((p, i) => panel(p, i * W, xLabel));
  const legend = names.map((name, i) => {
    const x = 20 + (i % 3) * (width / 3);
    const y = H + 16 + Math.floor(i / 3) * 20;
    const c = COLORS[i % COLORS.length];
    return `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="3"/><text x="${x + 30}" y="${y + 4}">${esc(name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
