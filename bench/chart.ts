// Dependency-free SVG charts: line charts (panels sharing a log2 x axis, each with a log10 y axis and one line per
// series) and stacked bar charts (panels of bars with a linear y axis, each bar split into the same parts).

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ["#1b7837", "#c51b7d", "#2166ac", "#e08214", "#762a83", "#4d4d4d", "#8c510a", "#35978f"];
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
  const legend = (x: number, y: number, c: string) => `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="3"/>`;
  return svg(panels.map((p, i) => panel(p, i * W, xLabel)), names, legend);
}

export interface BarPanel {
  title: string;
  yLabel: string;
  /** One bar per entry; `parts[i]` is the height of part i (BarChart `parts`), stacked from the bottom. */
  bars: { name: string; parts: number[] }[];
}

function barPanel(p: BarPanel, ox: number): string {
  const top = Math.max(...p.bars.map((b) => b.parts.reduce((a, v) => a + v, 0)), Number.MIN_VALUE);
  // A round axis maximum: 1, 2 or 5 times a power of ten, in 5 steps.
  const step0 = top / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= step0)!;
  const yMax = step * Math.ceil(top / step);
  const plotH = H - M.top - M.bottom;
  const py = (v: number) => Math.round((M.top + (1 - v / yMax) * plotH) * 10) / 10;
  const out: string[] = [];
  out.push(`<text x="${ox + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (let v = 0; v <= yMax * (1 + 1e-9); v += step) {
    const y = py(v);
    out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<text transform="translate(${ox + 14},${H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  const slot = (W - M.left - M.right) / p.bars.length;
  p.bars.forEach((b, i) => {
    const x = Math.round((ox + M.left + slot * (i + 0.2)) * 10) / 10;
    const w = Math.round(slot * 0.6 * 10) / 10;
    let acc = 0;
    b.parts.forEach((v, k) => {
      if (!(v > 0)) return;
      const [y0, y1] = [py(acc), py(acc + v)];
      acc += v;
      out.push(`<rect x="${x}" y="${y1}" width="${w}" height="${Math.round((y0 - y1) * 10) / 10}" fill="${COLORS[k % COLORS.length]}"/>`);
    });
    out.push(`<text x="${x + w / 2}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(b.name)}</text>`);
  });
  return out.join("\n");
}

/** Stacked bar panels side by side, every bar split into the named `parts` (the legend underneath). */
export function barChart(panels: BarPanel[], parts: string[]): string {
  const legend = (x: number, y: number, c: string) => `<rect x="${x}" y="${y - 6}" width="24" height="12" fill="${c}"/>`;
  return svg(panels.map((p, i) => barPanel(p, i * W)), parts, legend);
}

/** The document: panels side by side, then a legend of `names` in three columns, each with its mark. */
function svg(body: string[], names: string[], mark: (x: number, y: number, color: string) => string): string {
  const width = W * body.length;
  const legendRows = Math.ceil(names.length / 3);
  const height = H + 10 + legendRows * 20;
  const legend = names.map((name, i) => {
    const x = 20 + (i % 3) * (width / 3);
    const y = H + 16 + Math.floor(i / 3) * 20;
    return `${mark(x, y, COLORS[i % COLORS.length])}<text x="${x + 30}" y="${y + 4}">${esc(name)}</text>`;
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
