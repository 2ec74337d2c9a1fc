// pageTableModel.ts: turns the adapter's `trampoline/pageTables` answers (adapter/pageTables.ts) into what
// the Page Tables view draws — labels, descriptions, tooltips and context values — without `vscode`, so the
// shaping is tested in Node against a real session. The entry names are the SDM's (Vol.3A §4.5, Table 4-14
// onwards: PML5E, PML4E, PDPTE, PDE, PTE).
import type { PageTableNodeJson, TableRef } from '../adapter/pageTables';

/** The root answer: `trampoline/pageTables` with no arguments. */
export interface PageTableRootJson {
  paging: string;
  cr3: string;
  levels: number;
  root: TableRef | null;
  entries: PageTableNodeJson[];
}

/** One row of the view: the paging root (CR3), an entry (or a folded run of them), or a message. */
export type PageTableItem =
  | { kind: 'root'; root: PageTableRootJson }
  | { kind: 'entry'; node: PageTableNodeJson }
  | { kind: 'message'; text: string };

/** What a tree item shows; pageTablesView.ts copies it into a vscode.TreeItem. */
export interface ItemView {
  label: string;
  description: string;
  tooltip: string;
  /** Matched by the view/item/context menus in package.json. */
  contextValue: string;
  expandable: boolean;
}

/** A 64-bit linear address as 16 hex digits, so the columns line up. */
export function hex64(text: string): string {
  return '0x' + BigInt(text).toString(16).padStart(16, '0');
}

/** A hex string without leading zeros (the adapter pads CR3's low half: `0x000009000`). */
export function hexShort(text: string): string {
  return '0x' + BigInt(text).toString(16);
}

export function rootView(r: PageTableRootJson): ItemView {
  const cr3 = hexShort(r.cr3);
  if (r.levels === 0 || r.root === null) {
    return { label: 'paging off', description: `CR3 ${cr3}`, tooltip: 'CR0.PG = 0: linear addresses are physical addresses.', contextValue: 'pageTableRoot', expandable: false };
  }
  return {
    label: `${r.paging} paging`,
    description: `CR3 ${cr3}`,
    tooltip: `${r.paging} paging, ${r.levels} levels\nCR3 = ${cr3}\ntop-level table (${r.root.level}) at physical 0x${r.root.tableAddress.toString(16)}`,
    contextValue: 'pageTableRoot',
    expandable: r.entries.length > 0,
  };
}

/** `PML4E[0]` or, for a folded run, `PTE[0..511] ×512`. */
export function entryName(n: PageTableNodeJson): string {
  return n.count > 1 ? `${n.level}[${n.index}..${n.index + n.count - 1}] ×${n.count}` : `${n.level}[${n.index}]`;
}

export function entryView(n: PageTableNodeJson): ItemView {
  const present = n.flags.includes('P');
  const page = n.leaf && n.pageSize !== null ? ` (${n.pageSize} page${n.count > 1 ? 's' : ''})` : '';
  const description = !present ? 'not present'
    : `→ ${n.physical}  ${n.flags.join(' ')}${page}${n.reserved ? '  reserved bits set' : ''}`;
  const target = n.leaf ? `page frame${n.count > 1 ? 's from' : ''}` : `${childLevel(n.level)} table`;
  const tooltip = [
    `${entryName(n)} at physical ${n.entryAddress}${n.count > 1 ? ` (first of ${n.count})` : ''}`,
    `value ${n.value}`,
    `maps linear ${hex64(n.linear)}–${hex64(n.linearEnd)}`,
    present ? `→ ${target} ${n.physical}` : 'not present: an access faults with #PF',
    `flags ${n.flags.length > 0 ? n.flags.join(' ') : '(none)'}`,
    ...(n.reserved ? ['reserved bits set: an access faults with #PF (error code RSVD)'] : []),
  ].join('\n');
  return {
    label: `${entryName(n)}  ${hex64(n.linear)}–${hex64(n.linearEnd)}`,
    description,
    tooltip,
    contextValue: n.leaf ? 'pageTableEntry.leaf' : 'pageTableEntry',
    expandable: n.child !== null,
  };
}

function childLevel(level: string): string {
  const order = ['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'];
  const names = ['PML4', 'PDPT', 'PD', 'PT'];
  return names[order.indexOf(level)] ?? 'next';
}

export function itemView(item: PageTableItem): ItemView {
  if (item.kind === 'root') return rootView(item.root);
  if (item.kind === 'entry') return entryView(item.node);
  return { label: item.text, description: '', tooltip: item.text, contextValue: 'message', expandable: false };
}

/** The address "Copy Address" puts on the clipboard: CR3 for the root, the first linear address for an entry. */
export function addressToCopy(item: PageTableItem): string | null {
  if (item.kind === 'root') return hexShort(item.root.cr3);
  if (item.kind === 'entry') return hex64(item.node.linear);
  return null;
}

/** The physical page "Open Physical Page in Memory View" shows: the next table or the page frame. */
export function physicalPage(item: PageTableItem): { physical: string; bytes: number } | null {
  if (item.kind === 'root') return item.root.root === null ? null : { physical: '0x' + item.root.root.tableAddress.toString(16), bytes: 4096 };
  if (item.kind === 'entry' && item.node.flags.includes('P')) return { physical: item.node.physical, bytes: item.node.leaf ? Math.min(item.node.span, 4096) : 4096 };
  return null;
}

/**
 * VS Code's binary view of debuggee memory (the Hex Editor reads `vscode-debug-memory:` documents through
 * the session's readMemory): authority = session id, path = /memoryReference/name, query range=from:to.
 * `phys:` references are physical addresses (adapter/memory.ts).
 */
export function memoryUriParts(sessionId: string, physical: string, bytes: number): { scheme: string; authority: string; path: string; query: string } {
  const reference = `phys:${physical}`;
  return { scheme: 'vscode-debug-memory', authority: sessionId, path: `/${encodeURIComponent(reference)}/physical-${physical}.bin`, query: `range=0:${bytes}` };
}
