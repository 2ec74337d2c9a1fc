// lvl5.test.ts: the main demo — the seed's 4- to 5-level switch above 4 GiB — runs end to end on the
// built-in assembler and the emulator, and reports each mode switch where the SDM says it happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLvl5, lvl5Source } from '../../cli/lvl5Demo';
import { sourceReaders } from '../../cli/sourceFiles';
import { assemble, flatBinary } from '../../assembler/index';
import { COPIES_SECTION } from '../../assembler/program';
import { StopReason } from '../../emulator/cpu/step';

test('the lvl5 trampoline switches 4-level → 5-level paging and returns above 4 GiB', () => {
  const r = runLvl5();
  assert.equal(r.stop, StopReason.Halt);
  // SDM Vol.3A §10.8.5: a far return to a CS with L=0 leaves 64-bit for compatibility mode; clearing
  // CR0.PG there deactivates IA-32e mode (LMA=0, no paging); setting it again with EFER.LME and
  // CR4.PAE|LA57 reactivates it with 5-level paging (§4.5); a far return to CS.L=1 is 64-bit mode.
  assert.deepEqual(r.switches, [
    'long64 · 4-level → compat32 · 4-level via lretq at startup_64+0x83',
    'compat32 · 4-level → protected32 · none via mov at lvl5_trampoline+0x10',
    'protected32 · none → compat32 · 5-level via mov at lvl5_trampoline+0x33',
    'compat32 · 5-level → long64 · 5-level via lretl at lvl5_trampoline+0x36',
  ]);
  assert.equal(r.cr4, 0x1020, 'CR4 = PAE | LA57');
  assert.equal(r.console,
    'kernel entered at 0x0000000100000000, CR4 = 0x0000000000000020\n' +
    'back in the kernel at 0x0000000100000085, CR4 = 0x0000000000001020\n');
});

test('the example assembles to the same bytes with GNU as (through gcc for the C preprocessor)', (t) => {
  const gcc = spawnSync('gcc', ['--version']);
  const objcopy = spawnSync('objcopy', ['--version']);
  if (gcc.status !== 0 || objcopy.status !== 0) return t.skip('gcc or objcopy not found (CI installs gcc and binutils)');
  const src = lvl5Source();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tramp-lvl5-'));
  execFileSync('gcc', ['-c', '-x', 'assembler-with-cpp', src.file, '-o', path.join(dir, 'lvl5.o')]);
  // Linked, so references to the global startup_64 are resolved as ours are (flat output has no relocations).
  execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext=0', '-e', 'startup_64', '-o', path.join(dir, 'lvl5.elf'), path.join(dir, 'lvl5.o')]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', path.join(dir, 'lvl5.elf'), path.join(dir, 'lvl5.bin')]);
  const gnu = new Uint8Array(readFileSync(path.join(dir, 'lvl5.bin')));
  const ours = assemble(src.text, { file: src.file, ...sourceReaders(src.file) });
  assert.deepEqual(ours.errors, []);
  const text = ours.sections.filter((s) => s.name === '.text');
  assert.deepEqual(Buffer.from(flatBinary(text, 0)).toString('hex'), Buffer.from(gnu).toString('hex'));
  // The debugger's copy table holds the same triple in both (GNU as leaves relocations against .text).
  const copies = ours.sections.find((s) => s.name === COPIES_SECTION);
  const trampoline = ours.symbols.find((s) => s.name === 'lvl5_trampoline')!.value;
  const end = ours.symbols.find((s) => s.name === 'lvl5_trampoline_end')!.value;
  const q = (k: number): number => Number(Buffer.from(copies!.data).readBigUInt64LE(k));
  assert.deepEqual([q(0), q(8), q(16)], [trampoline, end, 0x7c00]);
  const nm = execFileSync('nm', [path.join(dir, 'lvl5.elf')], { encoding: 'utf8' });
  assert.match(nm, new RegExp(`0*${trampoline.toString(16)} t lvl5_trampoline\n`));
});
