// pt.ts: `trampoline pt <program> --at <label|addr> [--depth N] [--json] [run options]` (design.md "CLI") —
// boots the program as `run` does, runs it to the first execution of a label or linear address (an
// execution breakpoint), and prints the live page tables there as a tree: one line per present entry
// (runs of identical leaf entries with contiguous frames folded), its flags in the SDM's abbreviations
// (Vol.3A §4.5, Tables 4-14 to 4-20), the linear range it covers and the physical address it points at —
// Bochs' `info tab`, but nested as the paging structures are. Reads go through emulator/mmu/inspect.ts:
// looking sets no accessed bit. Exit status: 0 printed, 1 the point was never reached, 2 bad input.
import { nodeJson, PageTableNodeJson } from '../adapter/pageTables';
import { cpuMode, pagingMode } from '../emulator/cpu/modes';
import { StopReason } from '../emulator/cpu/step';
import { BootError, parseNumber } from '../emulator/loaders/boot';
import type { LevelName } from '../emulator/mmu/inspect';
import { children, rootTable, TableNode } from '../emulator/mmu/inspect';
import type { Machine } from '../emulator/machine';
import { parseRunOptions, RUN_USAGE } from './options';
import { hex64 } from './report';
import { BadInput, bootFromOptions, RunIo } from './run';

export const PT_USAGE = 'Usage: trampoline pt <program> --at <label|addr> [--depth N] [--json] [run options]\n' +
  '  Runs to the first execution of the label or linear address and prints the page tables there.\n' +
  '  --depth N   show N levels (default: all)\n' +
  '  Run options:\n' + RUN_USAGE.replace(/^Usage: trampoline run <program> /, '         ');

const stdio: RunIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Exit status when the program stopped before reaching the point. */
export const EXIT_NOT_REACHED = 1;

/** The table an entry level lives in (SDM Vol.3A §4.5: PML5 table, PML4 table, PDPT, PD, PT). */
const TABLE_NAMES: Record<LevelName, string> = { PML5E: 'PML5', PML4E: 'PML4', PDPTE: 'PDPT', PDE: 'PD', PTE: 'PT' };
const NEXT_LEVEL: Record<LevelName, LevelName | null> = { PML5E: 'PML4E', PML4E: 'PDPTE', PDPTE: 'PDE', PDE: 'PTE', PTE: null };

/** An entry as pageTables.ts gives it (reserved bits as an RSVD flag), with the tree below it. */
export type PtNodeJson = Omit<PageTableNodeJson, 'child' | 'reserved'> & {
  /** The next table's present entries (absent past --depth, past MAX_ENTRIES, or when `shown`). */
  entries?: PtNodeJson[];
  /** The next table was already expanded under an earlier entry of the tree. */
  shown?: boolean;
  /** The folded entries are all the same value (the same table or the same page frame, repeated). */
  repeated?: boolean;
};

export interface PtReport {
  at: { label: string; linear: string; instruction: number };
  mode: string;
  paging: string;
  cr3: string;
  /** The top table (null with paging off). */
  root: { table: string; address: string } | null;
  entries: PtNodeJson[];
  /** More than MAX_ENTRIES entries were present: the tree stops there. */
  truncated: boolean;
}

const hex = (n: number | bigint): string => '0x' + n.toString(16);

/**
 * children() folds runs of leaves; here runs of consecutive table entries pointing at the same table with the
 * same flags fold too (entries of a table filled with one value — cleared to a pattern, or code read as
 * entries — would otherwise repeat one line per entry).
 */
function foldTables(nodes: TableNode[]): { node: TableNode; repeated: boolean }[] {
  const out: { node: TableNode; repeated: boolean }[] = [];
  for (const n of nodes) {
    const prev = out[out.length - 1];
    // Leaves with one value all map the same frame (children() folds only contiguous frames).
    if (prev !== undefined && prev.node.index + prev.node.count === n.index && prev.node.value === n.value && (prev.node.count === 1 || prev.repeated)) {
      prev.node = { ...prev.node, count: prev.node.count + n.count };
      prev.repeated = true;
      continue;
    }
    out.push({ node: n, repeated: false });
  }
  return out;
}

/** Entries shown at most (a table of garbage — code bytes read as entries — fans out 512-fold a level). */
export const MAX_ENTRIES = 10_000;

interface Budget { left: number; truncated: boolean; seen: Set<string> }

/**
 * The present entries under a table, `depth` levels deep (1: this table only). A table reached a second
 * time (shared, or a loop through a self-map) is expanded only the first time: later nodes say `shown`.
 */
function tree(m: Machine, tableAddress: number, level: LevelName, linearBase: bigint, depth: number, budget: Budget): PtNodeJson[] {
  const nodes = foldTables(children(m.phys, m.cpu, tableAddress, level, linearBase));
  if (nodes.length > budget.left) { budget.truncated = true; nodes.length = budget.left; }
  budget.left -= nodes.length;
  return nodes.map(({ node: n, repeated }) => {
    const { child: _child, reserved, ...entry } = nodeJson(n);
    const node: PtNodeJson = { ...entry, flags: reserved ? [...entry.flags, 'RSVD'] : entry.flags };
    if (repeated) node.repeated = true;
    if (n.child !== null && depth > 1) {
      const key = `${n.child.level}@${n.child.tableAddress}`;
      if (budget.seen.has(key)) node.shown = true;
      else if (budget.left <= 0) budget.truncated = true;
      else {
        budget.seen.add(key);
        node.entries = tree(m, n.child.tableAddress, n.child.level, n.child.linearBase, depth - 1, budget);
      }
    }
    return node;
  });
}

/** The tree as text: box-drawing branches, one entry (or folded run) a line. */
export function formatTree(report: PtReport): string {
  const lines: string[] = [];
  lines.push(`at ${report.at.label} (${report.at.linear}), instruction ${report.at.instruction}: ${report.mode}, paging ${report.paging}, CR3 ${report.cr3}`);
  if (report.root === null) {
    lines.push('paging is off (CR0.PG = 0): linear addresses are physical, there are no page tables');
    return lines.join('\n') + '\n';
  }
  lines.push(`${report.root.table} table at ${report.root.address}`);
  const walkNodes = (nodes: PtNodeJson[], prefix: string): void => {
    nodes.forEach((n, k) => {
      const last = k === nodes.length - 1;
      const index = n.count > 1 ? `${n.level}[${n.index}-${n.index + n.count - 1}] x${n.count}` : `${n.level}[${n.index}]`;
      const next = NEXT_LEVEL[n.level];
      const target = n.leaf ? `${n.pageSize} page${n.count > 1 && !n.repeated ? 's' : ''} at ${n.physical}${n.repeated ? ' (each)' : ''}`
        : `${next ? TABLE_NAMES[next] : 'table'} at ${n.physical}${n.repeated ? ' (each)' : ''}`;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${index}  ${n.linear}-${n.linearEnd} → ${target}  ${n.flags.join(' ')}`);
      if (n.shown) lines[lines.length - 1] += '  (table shown above)';
      if (n.entries) walkNodes(n.entries, prefix + (last ? '   ' : '│  '));
    });
  };
  walkNodes(report.entries, '');
  if (report.truncated) lines.push(`… more than ${MAX_ENTRIES} entries: the rest is not shown (use --depth)`);
  return lines.join('\n') + '\n';
}

interface PtArgs { at: string; depth: number; rest: string[] }

function splitArgs(argv: string[]): PtArgs | string {
  let at: string | null = null;
  let depth = 5;
  const rest: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (name !== '--at' && name !== '--depth') { rest.push(a); continue; }
    const v = inline ?? argv[++k];
    if (v === undefined) return `${name} needs a value`;
    if (name === '--at') at = v;
    else {
      const n = parseNumber(v);
      if (Number.isNaN(n) || n < 1) return `--depth must be a number of levels of at least 1, got ${v}`;
      depth = n;
    }
  }
  if (at === null && !rest.includes('--help') && !rest.includes('-h')) return '--at <label|addr> is required: where to stop and look';
  return { at: at ?? '', depth, rest };
}

/** Runs the command; returns the exit status. */
export function ptCommand(argv: string[], io: RunIo = stdio): number {
  const args = splitArgs(argv);
  if (typeof args === 'string') { io.err(`trampoline pt: ${args}\n${PT_USAGE}`); return 2; }
  const parsed = parseRunOptions(args.rest);
  if (!parsed.ok) {
    if (parsed.help) { io.out(PT_USAGE); return 0; }
    io.err(`trampoline pt: ${parsed.message}\n${PT_USAGE}`);
    return 2;
  }
  const o = parsed.options;
  try {
    // The guest's console is not the output here: the tree is.
    const booted = bootFromOptions(o, () => undefined);
    const m = booted.machine;
    let linear = parseNumber(args.at);
    if (Number.isNaN(linear)) {
      const s = booted.symbols.find((y) => y.name === args.at);
      if (s === undefined) { io.err(`trampoline pt: --at: no symbol '${args.at}' in ${o.program} (give a label or an address)\n`); return 2; }
      linear = s.value;
    }
    const lo = (linear % 2 ** 32) | 0, hi = Math.floor(linear / 2 ** 32) | 0;
    m.exec.addBreakpoint(lo, hi);
    const stop = m.run({ maxInstructions: o.maxInstructions });
    if (stop !== StopReason.Breakpoint) {
      const info = m.lastStop;
      io.err(`trampoline pt: --at ${args.at} (${hex64(lo, hi)}) was not reached: the run stopped by ${info.reason} after ${m.cpu.icount} instructions${info.detail ? ` (${info.detail})` : ''}\n`);
      return EXIT_NOT_REACHED;
    }
    const root = rootTable(m.cpu);
    const budget: Budget = { left: MAX_ENTRIES, truncated: false, seen: new Set() };
    const report: PtReport = {
      at: { label: args.at, linear: hex64(lo, hi), instruction: m.cpu.icount },
      mode: cpuMode(m.cpu), paging: pagingMode(m.cpu), cr3: hex64(m.cpu.cr3Lo, m.cpu.cr3Hi),
      root: root === null ? null : { table: TABLE_NAMES[root.level], address: hex(root.tableAddress) },
      entries: root === null ? [] : tree(m, root.tableAddress, root.level, root.linearBase, args.depth, budget),
      truncated: false,
    };
    report.truncated = budget.truncated;
    io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatTree(report));
    return 0;
  } catch (e) {
    if (e instanceof BootError) { io.err(`trampoline pt: ${e.option === null ? '' : `--${e.option}: `}${e.detail}\n`); return 2; }
    if (e instanceof BadInput) { io.err(`trampoline pt: ${e.message}\n`); return 2; }
    throw e;
  }
}
