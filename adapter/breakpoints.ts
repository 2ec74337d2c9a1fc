// breakpoints.ts: breakpoint bookkeeping — source-line, function (label, label+offset or address) and
// instruction breakpoints become execution breakpoints at every address their code runs at (copies
// included); conditions, hit counts and logpoints are decided here when the emulator stops at one. Data
// breakpoints are watchpoints in the emulator; their ids live here too.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Debuggee } from './debuggee';
import { parseNumber } from '../emulator/loaders/boot';
import { hexAddress } from './symbols';

/** How conditions and log messages are evaluated (evaluate.ts, handed in by the session). */
export interface ConditionEvaluator {
  condition(text: string): boolean | { error: string };
  interpolate(template: string): string;
}

type Kind = 'source' | 'function' | 'instruction';

interface Entry {
  id: number;
  kind: Kind;
  /** Runtime linear addresses it is installed at. */
  addresses: number[];
  condition: string | null;
  hitCondition: string | null;
  logMessage: string | null;
  hits: number;
}

/** What a stop at an execution breakpoint comes to. */
export interface HitResult {
  stop: boolean;
  ids: number[];
  /** Logpoint lines and condition errors to print. */
  messages: string[];
  kind: Kind | null;
}

let nextId = 1;

/** A DAP hit condition: `5` or `==5` (the 5th hit), `>5`, `>=5`, `<5`, `<=5`, `%5` (every 5th). */
export function parseHitCondition(text: string): ((hits: number) => boolean) | null {
  const m = /^\s*(==|=|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (m === null) return null;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return (h) => h > n;
    case '>=': return (h) => h >= n;
    case '<': return (h) => h < n;
    case '<=': return (h) => h <= n;
    case '%': return (h) => n > 0 && h % n === 0;
    default: return (h) => h === n;
  }
}

export class Breakpoints {
  private readonly bySource = new Map<string, Entry[]>();
  private functions: Entry[] = [];
  private instructions: Entry[] = [];
  /** Stops the debugger sets itself (the Linux kernel entry): function-breakpoint entries. */
  private internal: Entry[] = [];
  /** Runtime address → entries there. */
  private readonly at = new Map<number, Entry[]>();

  constructor(private readonly d: Debuggee, private readonly evaluator: ConditionEvaluator) {}

  private entry(kind: Kind, addresses: number[], o: { condition?: string; hitCondition?: string; logMessage?: string }): Entry {
    return {
      id: nextId++, kind, addresses,
      condition: o.condition?.trim() ? o.condition : null,
      hitCondition: o.hitCondition?.trim() ? o.hitCondition : null,
      logMessage: o.logMessage ?? null,
      hits: 0,
    };
  }

  /** Checks a breakpoint's condition texts up front, so a typo is reported when it is set. */
  private problem(o: { condition?: string; hitCondition?: string }): string | null {
    if (o.hitCondition?.trim() && parseHitCondition(o.hitCondition) === null) {
      return `hit count condition "${o.hitCondition}" is not understood: use 5, >5, >=5, <5, <=5 or %5`;
    }
    if (o.condition?.trim()) {
      const r = this.evaluator.condition(o.condition);
      if (typeof r !== 'boolean' && /syntax|expected|unexpected|unknown/i.test(r.error)) return `condition: ${r.error}`;
    }
    return null;
  }

  setSource(file: string, requested: DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    const entries: Entry[] = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const bp of requested) {
      const found = this.d.lines.resolve(file, bp.line);
      const problem = this.problem(bp);
      if (found === null || problem !== null) {
        out.push({ verified: false, line: bp.line, message: problem ?? (this.d.lines.isEmpty ? 'the program has no line information' : `no code at or after line ${bp.line} of this file in the program`) });
        continue;
      }
      const addresses = found.addresses.flatMap((a) => this.d.symbols.runtimeAddresses(a));
      const e = this.entry('source', addresses, bp);
      entries.push(e);
      out.push({ id: e.id, verified: true, line: found.line, instructionReference: hexAddress(addresses[0]) });
    }
    this.bySource.set(file, entries);
    this.rebuild();
    return out;
  }

  /** `label`, `label+0x10`, `label-4` or an address. */
  resolveLocation(text: string): number[] | string {
    const t = text.trim();
    const n = parseNumber(t);
    if (!Number.isNaN(n)) return [n];
    const m = /^([A-Za-z_.$][\w.$@]*)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?$/.exec(t);
    if (m === null) return `"${text}" is not a label, label+offset or address`;
    const base = this.d.symbols.isLabel(m[1]) ? this.d.symbols.value(m[1]) : undefined;
    if (base === undefined) return `no label "${m[1]}" in the program`;
    const off = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
    return this.d.symbols.runtimeAddresses(base + off);
  }

  setFunctions(requested: DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.functions = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const bp of requested) {
      const r = this.resolveLocation(bp.name);
      const problem = typeof r === 'string' ? r : this.problem(bp);
      if (problem !== null || typeof r === 'string') { out.push({ verified: false, message: problem ?? '' }); continue; }
      const e = this.entry('function', r, bp);
      this.functions.push(e);
      const loc = this.d.lines.locate(r[0]);
      out.push({
        id: e.id, verified: true, instructionReference: hexAddress(r[r.length - 1]),
        message: r.length > 1 ? `at ${r.map(hexAddress).join(' and ')} (its copy)` : undefined,
        ...(loc ? { line: loc.line, source: { path: loc.file } } : {}),
      });
    }
    this.rebuild();
    return out;
  }

  setInstructions(requested: DebugProtocol.InstructionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.instructions = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const bp of requested) {
      const base = parseNumber(bp.instructionReference);
      const problem = Number.isNaN(base) ? `instruction reference "${bp.instructionReference}" is not an address` : this.problem(bp);
      if (problem !== null) { out.push({ verified: false, message: problem }); continue; }
      const e = this.entry('instruction', [base + (bp.offset ?? 0)], bp);
      this.instructions.push(e);
      out.push({ id: e.id, verified: true, instructionReference: hexAddress(base + (bp.offset ?? 0)) });
    }
    this.rebuild();
    return out;
  }

  /** A stop of the debugger's own at `address` (not one of the client's lists). */
  addInternal(address: number): number {
    const e = this.entry('function', [address], {});
    this.internal.push(e);
    this.rebuild();
    return e.id;
  }

  /** Reinstalls the emulator's execution breakpoints from every list. */
  private rebuild(): void {
    const exec = this.d.machine.exec;
    exec.clearBreakpoints();
    this.at.clear();
    const all = [...[...this.bySource.values()].flat(), ...this.functions, ...this.instructions, ...this.internal];
    for (const e of all) {
      for (const a of e.addresses) {
        const list = this.at.get(a);
        if (list === undefined) this.at.set(a, [e]); else list.push(e);
      }
    }
    for (const a of this.at.keys()) exec.addBreakpoint(a % 2 ** 32 | 0, Math.floor(a / 2 ** 32) | 0);
  }

  has(address: number): boolean {
    return this.at.has(address);
  }

  /**
   * The emulator stopped at an execution breakpoint at `address`: count hits, evaluate conditions, print
   * logpoints. Stops when any breakpoint there says so.
   */
  hit(address: number): HitResult {
    const list = this.at.get(address) ?? [];
    const result: HitResult = { stop: false, ids: [], messages: [], kind: null };
    for (const e of list) {
      if (e.condition !== null) {
        const c = this.evaluator.condition(e.condition);
        if (typeof c !== 'boolean') {
          // A condition that cannot be evaluated stops, saying why (as GDB does).
          result.messages.push(`breakpoint condition "${e.condition}": ${c.error}`);
        } else if (!c) continue;
      }
      e.hits++;
      if (e.hitCondition !== null && !(parseHitCondition(e.hitCondition)?.(e.hits) ?? true)) continue;
      if (e.logMessage !== null) {
        result.messages.push(this.evaluator.interpolate(e.logMessage));
        continue;
      }
      result.stop = true;
      result.ids.push(e.id);
      result.kind ??= e.kind;
    }
    return result;
  }
}
