// listing.ts: the assembly listing `as -al` prints: each source line with its number, the offset in its
// section and the bytes it produced (four per row, up to five rows), in pages of 60 lines (GAS listing.c).
import type { AssemblyResult } from './index';

const PAGE_LINES = 60;
const MAX_ROWS = 5; // GAS: one row beside the source, LISTING_LHS_CONT_LINES (4) more
const SOURCE_WIDTH = 99; // GAS: LISTING_RHS_WIDTH (100) less the terminating NUL of its line buffer

function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** The listing of an assembly, titled with the main file's name, as `as -al` formats it. */
export function formatListing(r: Pick<AssemblyResult, 'source' | 'listed' | 'sections'>, title = r.source[0]?.file ?? ''): string {
  const byLine = new Map<string, { offset: number; bytes: number[] }>();
  for (const it of r.listed) {
    if (it.size === 0) continue;
    const sec = r.sections.find((s) => s.name === it.section);
    if (!sec) continue;
    const key = `${it.file}:${it.line}`;
    const bytes = sec.nobits ? new Array<number>(it.size).fill(0) : Array.from(sec.data.subarray(it.offset, it.offset + it.size));
    const e = byLine.get(key);
    if (e) e.bytes.push(...bytes);
    else byLine.set(key, { offset: it.offset, bytes });
  }
  const rows: string[] = [];
  const seen = new Set<string>();
  for (const l of r.source) {
    const src = l.text.slice(0, SOURCE_WIDTH);
    const n = String(l.line).padStart(4);
    const key = `${l.file}:${l.line}`;
    const e = seen.has(key) ? undefined : byLine.get(key);
    seen.add(key);
    if (!e) { rows.push(`${n}              \t${src}`); continue; }
    const groups: string[] = [];
    for (let k = 0; k < e.bytes.length && groups.length < MAX_ROWS; k += 4) {
      const g = e.bytes.slice(k, k + 4);
      groups.push(hex(g) + (g.length === 4 ? ' ' : ''));
    }
    rows.push(`${n} ${e.offset.toString(16).padStart(4, '0')} ${groups[0].padEnd(9)}\t${src}`);
    for (const g of groups.slice(1)) rows.push(`${n}      ${g}`);
  }
  let out = '';
  for (let k = 0, page = 1; k < rows.length || page === 1; k += PAGE_LINES - 3, page++) {
    out += `${page > 1 ? '\f' : ''}GAS LISTING ${title} \t\t\tpage ${page}\n\n\n`;
    for (const row of rows.slice(k, k + PAGE_LINES - 3)) out += row + '\n';
    if (rows.length === 0) break;
  }
  return out;
}
