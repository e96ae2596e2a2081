// Examples as fixed-length token batches: [CLS] body [SEP], truncated to the sequence length and padded.
import type { WordPieceTokenizer } from "../model/tokenizer.js";
import type { Example } from "./corpus.js";

export interface Encoded {
  /** Row-major [count, length]. */
  ids: Int32Array;
  mask: Uint8Array;
  labels: Int32Array;
  count: number;
  length: number;
}

export function encodeExamples(tok: WordPieceTokenizer, examples: readonly Example[], length: number): Encoded {
  const ids = new Int32Array(examples.length * length);
  const mask = new Uint8Array(examples.length * length);
  const labels = new Int32Array(examples.length);
  examples.forEach((ex, i) => {
    const e = tok.encode(ex.text, length, { truncate: true });
    ids.set(e.ids, i * length);
    mask.set(e.mask, i * length);
    labels[i] = ex.label;
  });
  return { ids, mask, labels, count: examples.length, length };
}

/** Rows `rows` of an encoded set, as a new set (a batch). */
export function selectRows(e: Encoded, rows: readonly number[]): Encoded {
  const n = e.length;
  const ids = new Int32Array(rows.length * n);
  const mask = new Uint8Array(rows.length * n);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    ids.set(e.ids.subarray(r * n, (r + 1) * n), i * n);
    mask.set(e.mask.subarray(r * n, (r + 1) * n), i * n);
    labels[i] = e.labels[r];
  });
  return { ids, mask, labels, count: rows.length, length: n };
}
