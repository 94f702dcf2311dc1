/** The few DOM helpers the demo page's panels share. */

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** A wall-clock time as the page shows it. */
export const clock = (time: number = Date.now()): string => new Date(time).toLocaleTimeString();

/** A table row of text cells; `data` becomes its data-* attributes (tests and styles select on them). */
export function row(cells: readonly string[], data: Record<string, string> = {}): HTMLTableRowElement {
  const tr = document.createElement("tr");
  Object.assign(tr.dataset, data);
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

/** One row spanning the table: what a panel says instead of data ("no orders"), or a gap in an event list. */
export function noteRow(text: string, columns: number, data: Record<string, string> = {}): HTMLTableRowElement {
  const tr = row([], data);
  const td = document.createElement("td");
  td.colSpan = columns;
  td.className = "note";
  td.textContent = text;
  tr.append(td);
  return tr;
}

/** The JSON an HTTP GET of the page's own server answers; throws with the status when it is not 2xx. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`GET ${path.split("?")[0]} answered ${response.status}`);
  return (await response.json()) as T;
}
