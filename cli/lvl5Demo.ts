// lvl5Demo.ts: `trampoline demo` — the seed's scenario in the terminal. Assembles
// examples/lvl5-trampoline/lvl5.S with the built-in assembler, loads it above 4 GiB, enters it in
// 64-bit mode with 4-level paging (the 64-bit boot protocol state) and runs it, printing the guest's
// console and one line per CPU-mode or paging-mode switch as the emulator reports them.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assemble, flatBinary, formatDiagnostic } from '../assembler/index';
import { COPIES_SECTION } from '../assembler/program';
import { sourceReaders } from './sourceFiles';
import { attachEvents, CrWriteEvent, ModeSwitchEvent } from '../emulator/cpu/events';
import { StopReason } from '../emulator/cpu/step';
import { enterLongMode } from '../emulator/loaders/longMode';
import { loadRaw } from '../emulator/loaders/raw';
import { Machine } from '../emulator/machine';

/** Where the kernel is loaded: above 4 GiB, the case the patch was written for. */
export const LVL5_LOAD = 0x1_0000_0000;

export interface Lvl5Run {
  console: string;
  /** One line per mode switch: "long64 · 4-level → compat32 · 4-level via lretq at lvl5+0x…". */
  switches: string[];
  crWrites: string[];
  stop: StopReason;
  detail: string;
  instructions: number;
  cr4: number;
}

export function lvl5Source(): { file: string; text: string } {
  // dist/trampoline.js sits one folder below the repository root, out/cli/lvl5Demo.js (tests) two.
  const candidates = [1, 2].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', 'lvl5-trampoline', 'lvl5.S'));
  const file = candidates.find((f) => existsSync(f)) ?? candidates[0];
  return { file, text: readFileSync(file, 'utf8') };
}

const hex = (lo: number, hi: number) => '0x' + (hi !== 0 ? (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, '0') : (lo >>> 0).toString(16));

/** Assembles and runs the example; `onLine` sees each switch and console line as it happens. */
export function runLvl5(onLine: (line: string) => void = () => undefined): Lvl5Run {
  const src = lvl5Source();
  const asm = assemble(src.text, { file: src.file, origin: LVL5_LOAD, ...sourceReaders(src.file) });
  if (asm.errors.length) throw new Error(asm.errors.map(formatDiagnostic).join('\n'));
  // The copy table (.trampoline.copies) is for the debugger, not part of the image.
  const image = flatBinary(asm.sections.filter((s) => s.name !== COPIES_SECTION), LVL5_LOAD);
  // Symbols by address, to name where each switch happened (label+offset, as the debugger will).
  const labels = asm.symbols.filter((s) => s.section !== null && s.section !== COPIES_SECTION).sort((a, b) => a.value - b.value);
  const trampoline = asm.symbols.find((s) => s.name === 'lvl5_trampoline')?.value ?? 0;
  const trampolineEnd = asm.symbols.find((s) => s.name === 'lvl5_trampoline_end')?.value ?? 0;
  const symbolize = (lo: number, hi: number): string => {
    let a = (hi >>> 0) * 2 ** 32 + (lo >>> 0);
    // The trampoline runs from its copy at 0x7c00: name it after the label it was assembled at.
    if (a >= 0x7c00 && a < 0x7c00 + (trampolineEnd - trampoline)) a = a - 0x7c00 + trampoline;
    let best = null as (typeof labels)[number] | null;
    for (const s of labels) if (s.value <= a) best = s;
    return best ? `${best.name}+0x${(a - best.value).toString(16)}` : hex(lo, hi);
  };

  let consoleText = '';
  let pending = '';
  const m = new Machine({
    memory: 5 * 2 ** 30,
    output: (b: number) => {
      const ch = String.fromCharCode(b);
      consoleText += ch;
      if (ch === '\n') { onLine(`  guest: ${pending}`); pending = ''; } else pending += ch;
    },
  });
  const loaded = loadRaw(m, image, LVL5_LOAD, LVL5_LOAD, 'lvl5.S');
  if (!loaded.ok) throw new Error(loaded.message);
  const entered = enterLongMode(m, { entry: LVL5_LOAD, ranges: [{ start: LVL5_LOAD, end: LVL5_LOAD + image.length }], levels: 4, file: 'lvl5.S' });
  if (!entered.ok) throw new Error(entered.message);

  const switches: string[] = [];
  const crWrites: string[] = [];
  attachEvents(m.cpu, {
    modeSwitch: (e: ModeSwitchEvent) => {
      const line = `${e.fromMode} · ${e.fromPaging} → ${e.toMode} · ${e.toPaging} via ${e.mnemonic || '?'} at ${symbolize(e.ripLo, e.ripHi)}`;
      switches.push(line);
      onLine(`  switch: ${line}`);
    },
    crWrite: (e: CrWriteEvent) => {
      crWrites.push(`${e.register} ${hex(e.oldLo, e.oldHi)} → ${hex(e.newLo, e.newHi)} at ${symbolize(e.ripLo, e.ripHi)}`);
    },
    exception: () => undefined,
  });
  const stop = m.run({ maxInstructions: 1_000_000 });
  return {
    console: consoleText,
    switches,
    crWrites,
    stop,
    detail: m.exec.lastException?.detail ?? '',
    instructions: m.cpu.icount,
    cr4: m.cpu.cr4,
  };
}

/** The `demo` command. */
export function lvl5Demo(): number {
  const out = (s: string) => process.stdout.write(s + '\n');
  out('Trampoline demo: the Linux 4-level → 5-level paging trampoline, for a kernel loaded above 4 GiB');
  out(`(examples/lvl5-trampoline/lvl5.S, assembled by the built-in assembler, entered at 0x${LVL5_LOAD.toString(16)} in 64-bit mode)`);
  out('');
  const t0 = process.hrtime.bigint();
  const r = runLvl5(out);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  out('');
  out('Control-register writes:');
  for (const w of r.crWrites) out(`  ${w}`);
  out('');
  out(`${r.instructions} instructions, stopped by ${r.stop}${r.detail ? ` (${r.detail})` : ''}; ` +
    `CR4.LA57 = ${(r.cr4 >> 12) & 1}; ${r.switches.length} mode switches; ${ms.toFixed(0)} ms`);
  return r.stop === StopReason.Halt && (r.cr4 & (1 << 12)) !== 0 ? 0 : 1;
}
