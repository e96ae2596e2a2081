// DOM helpers shared by the pages.

/** The element with this id (the pages' own markup has it). */
export const $ = (id: string): HTMLElement => document.getElementById(id)!;

/** Fills `t` with a header row and body rows of text cells (textContent: nothing is parsed as HTML). */
export function fillTable(t: HTMLTableElement, head: string[], rows: string[][]): HTMLTableElement {
  const row = (cells: string[], tag: "th" | "td") => {
    const tr = document.createElement("tr");
    for (const c of cells) tr.appendChild(document.createElement(tag)).textContent = c;
    return tr;
  };
  t.replaceChildren();
  t.appendChild(document.createElement("thead")).appendChild(row(head, "th"));
  const body = t.appendChild(document.createElement("tbody"));
  for (const r of rows) body.appendChild(row(r, "td"));
  return t;
}
