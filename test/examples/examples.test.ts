// examples.test.ts: the examples beside lvl5-trampoline — la57-gp (setting CR4.LA57 in 64-bit mode
// faults) and lvl5-to-lvl4 (the reverse trampoline) — run end to end on the built-in assembler and the
// emulator, and assemble to the same bytes with GNU as. Expected values come from the SDM (cited) and,
// for addresses, from GNU binutils' listing of the same source (objdump -d / nm), not from our code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { sourceReaders } from '../../cli/sourceFiles';
import os from 'node:os';
import path from 'node:path';
import { assemble, flatBinary } from '../../assembler/index';
import { attachEvents, ExceptionEvent } from '../../emulator/cpu/events';
import { StopReason } from '../../emulator/cpu/step';
import { enterLongMode } from '../../emulator/loaders/longMode';
import { loadRaw } from '../../emulator/loaders/raw';
import { Machine } from '../../emulator/machine';

/** Where the examples are loaded, as their READMEs' command says (--load 0x100000000). */
const LOAD = 0x1_0000_0000;
/** Where the trampolines copy themselves (below 1 MiB). */
const TRAMPOLINE_COPY = 0x7c00;

function exampleFile(dir: string, name: string): string {
  // out/test/examples/*.test.js (scripts/test.mjs) sits three folders below the repository root.
  const candidates = [2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', dir, name));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

interface Run {
  console: string;
  switches: string[];
  exceptions: (ExceptionEvent & { where: string })[];
  stop: StopReason;
  cr3: number;
  cr4: number;
  /** CR3 as the loader set it (the top-level table). */
  initialCr3: number;
  machine: Machine;
}

/** Assembles `file` with the built-in assembler and runs it like cli/lvl5Demo.ts runs lvl5.S. */
function run(file: string, levels: 4 | 5, trampoline?: { start: string; end: string }): Run {
  const text = readFileSync(file, 'utf8');
  const asm = assemble(text, { file, origin: LOAD, ...sourceReaders(file) });
  assert.deepEqual(asm.errors, []);
  const image = flatBinary(asm.sections, LOAD);
  const labels = asm.symbols.filter((s) => s.section !== null).sort((a, b) => a.value - b.value);
  const sym = (name: string) => asm.symbols.find((s) => s.name === name)?.value ?? 0;
  const copy = trampoline ? { start: sym(trampoline.start), end: sym(trampoline.end) } : null;
  const symbolize = (lo: number, hi: number): string => {
    let a = (hi >>> 0) * 2 ** 32 + (lo >>> 0);
    if (copy && a >= TRAMPOLINE_COPY && a < TRAMPOLINE_COPY + (copy.end - copy.start)) a = a - TRAMPOLINE_COPY + copy.start;
    let best = null as (typeof labels)[number] | null;
    for (const s of labels) if (s.value <= a) best = s;
    return best ? `${best.name}+0x${(a - best.value).toString(16)}` : `0x${a.toString(16)}`;
  };

  let consoleText = '';
  const m = new Machine({ memory: 5 * 2 ** 30, output: (b: number) => { consoleText += String.fromCharCode(b); } });
  const loaded = loadRaw(m, image, LOAD, LOAD, path.basename(file));
  if (!loaded.ok) throw new Error(loaded.message);
  const entered = enterLongMode(m, { entry: LOAD, ranges: [{ start: LOAD, end: LOAD + image.length }], levels, file: path.basename(file) });
  if (!entered.ok) throw new Error(entered.message);

  const switches: string[] = [];
  const exceptions: Run['exceptions'] = [];
  attachEvents(m.cpu, {
    modeSwitch: (e) => switches.push(`${e.fromMode} · ${e.fromPaging} → ${e.toMode} · ${e.toPaging} via ${e.mnemonic || '?'} at ${symbolize(e.ripLo, e.ripHi)}`),
    crWrite: () => undefined,
    exception: (e) => exceptions.push({ ...e, where: symbolize(e.ripLo, e.ripHi) }),
  });
  const stop = m.run({ maxInstructions: 1_000_000 });
  return { console: consoleText, switches, exceptions, stop, cr3: m.cpu.cr3Lo >>> 0, cr4: m.cpu.cr4, initialCr3: entered.cr3, machine: m };
}

/** GNU as (through gcc for the C preprocessor), linked at 0 like our flat output, .text as a binary. */
function gnuBytes(t: { skip(msg: string): void }, file: string): Uint8Array | null {
  const gcc = spawnSync('gcc', ['--version']);
  const objcopy = spawnSync('objcopy', ['--version']);
  if (gcc.status !== 0 || objcopy.status !== 0) { t.skip('gcc or objcopy not found (CI installs gcc and binutils)'); return null; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tramp-example-'));
  const base = path.basename(file, '.S');
  execFileSync('gcc', ['-c', '-x', 'assembler-with-cpp', file, '-o', path.join(dir, `${base}.o`)]);
  execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext=0', '-e', 'startup_64', '-o', path.join(dir, `${base}.elf`), path.join(dir, `${base}.o`)]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', path.join(dir, `${base}.elf`), path.join(dir, `${base}.bin`)]);
  return new Uint8Array(readFileSync(path.join(dir, `${base}.bin`)));
}

function sameBytesAsGnu(t: { skip(msg: string): void }, file: string): void {
  const gnu = gnuBytes(t, file);
  if (gnu === null) return;
  const ours = assemble(readFileSync(file, 'utf8'), { file, ...sourceReaders(file) });
  assert.deepEqual(ours.errors, []);
  assert.equal(Buffer.from(flatBinary(ours.sections, 0)).toString('hex'), Buffer.from(gnu).toString('hex'));
}

const LA57GP = exampleFile('la57-gp', 'la57gp.S');
const LVL5TO4 = exampleFile('lvl5-to-lvl4', 'lvl5to4.S');

test('la57-gp: setting CR4.LA57 in 64-bit mode raises #GP(0), caught by the program\'s own IDT', () => {
  const r = run(LA57GP, 4);
  // The processor supports LA57, so the #GP below is the IA-32e rule, not an unsupported (reserved) bit.
  assert.ok(r.machine.features.has('la57'));
  assert.equal(r.stop, StopReason.Halt);
  // No mode switch: the faulting mov leaves CR4 (and so the paging mode) as it was, and the handler
  // runs in 64-bit mode through a 64-bit interrupt gate (SDM Vol.3A §6.14.1).
  assert.deepEqual(r.switches, []);
  // SDM Vol.2B MOV—Move to/from Control Registers, 64-Bit Mode Exceptions: #GP(0) "if an attempt is
  // made to change CR4.LA57"; Vol.3A §6.15 (Interrupt 13): a fault, so the saved RIP is the mov's own
  // address — set_la57 = 0x72 in GNU's listing (objdump -d of the same source), loaded at 0x1_0000_0000.
  assert.deepEqual(r.exceptions.map((e) => ({ vector: e.vector, errorCode: e.errorCode, ripLo: e.ripLo >>> 0, ripHi: e.ripHi, where: e.where })),
    [{ vector: 13, errorCode: 0, ripLo: 0x72, ripHi: 1, where: 'set_la57+0x0' }]);
  // CR4 unchanged: PAE only (the loader's 4-level state); a faulting instruction changes nothing (§6.5).
  assert.equal(r.cr4, 0x20);
  // The handler reads vector (pushed by itself), error code and RIP from the frame of Vol.3A Figure 6-9.
  assert.equal(r.console,
    '64-bit mode, CR4 = 0x0000000000000020; setting CR4.LA57\n' +
    'exception 0x000000000000000d, error code 0x0000000000000000 at RIP 0x0000000100000072\n' +
    'CR4 = 0x0000000000000020\n');
});

test('la57-gp assembles to the same bytes with GNU as', (t) => sameBytesAsGnu(t, LA57GP));

test('lvl5-to-lvl4: the reverse trampoline switches 5-level → 4-level paging and returns above 4 GiB', () => {
  const r = run(LVL5TO4, 5, { start: 'lvl4_trampoline', end: 'lvl4_trampoline_end' });
  assert.equal(r.stop, StopReason.Halt);
  // SDM Vol.3A §10.8.5: a far return to a CS with L=0 leaves 64-bit mode for compatibility mode;
  // clearing CR0.PG there deactivates IA-32e mode (LMA=0, no paging; §10.8.5.4); setting it again with
  // EFER.LME=1 and CR4.PAE=1, LA57=0 reactivates it with 4-level paging (§4.1.1, §4.5); a far return to
  // a CS with L=1 is 64-bit mode. Instruction offsets from GNU's objdump -d of the same source.
  assert.deepEqual(r.switches, [
    'long64 · 5-level → compat32 · 5-level via lretq at startup_64+0x86',
    'compat32 · 5-level → protected32 · none via mov at lvl4_trampoline+0x10',
    'protected32 · none → compat32 · 4-level via mov at lvl4_trampoline+0x2f',
    'compat32 · 4-level → long64 · 4-level via lretl at lvl4_trampoline+0x32',
  ]);
  assert.deepEqual(r.exceptions, []);
  assert.equal(r.cr4, 0x20, 'CR4 = PAE, LA57 clear');
  // CR3 = the PML4 that PML5[0] pointed to (SDM Vol.3A §4.5.4, Table 4-14: bits M-1:12 of the entry).
  const pml5e = r.machine.phys.read32(r.initialCr3);
  assert.equal(r.cr3, pml5e - (pml5e % 4096));
  // lvl4 = 0x88 in GNU's listing.
  assert.equal(r.console,
    'kernel entered at 0x0000000100000000, CR4 = 0x0000000000001020\n' +
    'back in the kernel at 0x0000000100000088, CR4 = 0x0000000000000020\n');
});

test('lvl5-to-lvl4 assembles to the same bytes with GNU as', (t) => sameBytesAsGnu(t, LVL5TO4));
