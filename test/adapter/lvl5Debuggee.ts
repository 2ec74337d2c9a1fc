// lvl5Debuggee.ts: the lvl5 example (examples/lvl5-trampoline/lvl5.S) booted as the debugger sees it —
// loaded at 4 GiB in 64-bit mode with 4-level paging, its trampoline declared as a copy at 0x7c00 — and
// run to the points the evaluate/REPL tests look at.
import path from 'node:path';
import { assembleProgram } from '../../assembler/program';
import { lvl5Source } from '../../cli/lvl5Demo';
import { sourceReaders } from '../../cli/sourceFiles';
import { CpuFeatures } from '../../emulator/cpu/features';
import { StopReason } from '../../emulator/cpu/step';
import { bootProgram } from '../../emulator/loaders/boot';
import { Debuggee } from '../../adapter/debuggee';
import { LineTable, SymbolTable } from '../../adapter/symbols';

export const LOAD = 0x1_0000_0000;
/** lvl5.S's LVL5_TRAMPOLINE and LVL5_PGTABLE. */
export const TRAMPOLINE = 0x7c00;
export const PGTABLE = 0x7000;

export function lvl5(): { d: Debuggee; console: () => string; file: string; text: string } {
  const src = lvl5Source();
  let out = '';
  const booted = bootProgram({
    file: src.file, bytes: new TextEncoder().encode(src.text), boot: 'long', load: LOAD, entry: null, paging: 4,
    features: new CpuFeatures(), memory: null, cmdline: null, initrd: [], disk: null,
    output: (b) => { out += String.fromCharCode(b); }, input: () => -1,
    assemble: (text, name, origin, codeSize) => assembleProgram(text, { file: name, origin, codeSize, ...sourceReaders(src.file) }),
  });
  const start = booted.symbols.find((s) => s.name === 'lvl5_trampoline')?.value ?? 0;
  const end = booted.symbols.find((s) => s.name === 'lvl5_trampoline_end')?.value ?? 0;
  const symbols = new SymbolTable(booted.symbols, [{ start, end, runtime: TRAMPOLINE }]);
  const lines = new LineTable(booted.lines.map((r) => ({ ...r, file: path.resolve(r.file) })), symbols);
  return { d: new Debuggee(booted.machine, symbols, lines, booted), console: () => out, ...src };
}

/** A small GAS program booted in `boot` state at `load` (for the real-mode checks). */
export function bootSource(text: string, boot: 'real' | 'protected', load: number): Debuggee {
  const file = path.resolve('inline.S');
  const booted = bootProgram({
    file, bytes: new TextEncoder().encode(text), boot, load, entry: null, paging: 4,
    features: new CpuFeatures(), memory: null, cmdline: null, initrd: [], disk: null,
    output: () => undefined, input: () => -1,
    assemble: (t, name, origin, codeSize) => assembleProgram(t, { file: name, origin, codeSize, readFile: () => null, readBinary: () => null }),
  });
  const symbols = new SymbolTable(booted.symbols);
  return new Debuggee(booted.machine, symbols, new LineTable(booted.lines, symbols), booted);
}

/** Runs until the instruction at `linear` is next (it has not run); throws when the run ends elsewhere. */
export function runTo(d: Debuggee, linear: number): void {
  const lo = linear % 2 ** 32 | 0, hi = Math.floor(linear / 2 ** 32) | 0;
  d.machine.exec.addBreakpoint(lo, hi);
  const stop = d.machine.run({ maxInstructions: 1_000_000 });
  d.machine.exec.removeBreakpoint(lo, hi);
  if (stop !== StopReason.Breakpoint || d.pc() !== linear) throw new Error(`run to 0x${linear.toString(16)} stopped: ${stop} at 0x${d.pc().toString(16)}`);
}

export function label(d: Debuggee, name: string): number {
  const v = d.symbols.value(name);
  if (v === undefined) throw new Error(`no label ${name}`);
  return v;
}
