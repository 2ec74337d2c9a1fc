// linux/boot.test.ts: a real Debian bzImage (linux-image-<version>-amd64, fetched by support/linuxKernel.ts)
// booted through its own decompressor, with "earlyprintk=ttyS0,115200 console=ttyS0 nokaslr".
//
// What the sources say (arch/x86/boot/compressed, Linux 6.1 as Debian ships it): startup_64 (head_64.S)
// works out whether 5-level paging is wanted (CPUID.7.0:ECX[16] set and no "no5lvl", pgtable_64.c) and,
// only when that differs from CR4.LA57, calls the 32-bit trampoline it copied below 1 MiB, which
// far-returns to compatibility mode, clears CR0.PG, flips CR4.LA57, loads the new top-level table (a
// 32-bit CR3 value, hence the low copy), sets CR0.PG and far-jumps back to 64-bit code. Then
// extract_kernel (misc.c) brings up the early serial console from "earlyprintk" and, with "nokaslr", prints
// kaslr.c's warning "KASLR disabled: 'nokaslr' on cmdline." between blank lines (distribution kernels lack
// CONFIG_X86_VERBOSE_BOOTUP, so nothing else is printed), decompresses, and returns the entry; `jmp *%rax`
// enters the kernel's startup_64 at the output address with RSI = boot_params.
//
// The default tests run each boot up to that console line (well under a million instructions: the
// trampoline is done by then); one boot through the kernel's entry (about 4.5·10^9 instructions, the xz
// decompressor) and on through the kernel proper to /init in user space (1.5·10^9 more), given an
// initramfs built here (test/support/initramfs.ts); and one more through the 32-bit entry to the kernel's
// entry, compared with QEMU's registers at the same point. The other full boots are the soak, registered
// only with LINUX_SOAK=1 (so that a normal run lists no skipped test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CR4_LA57 } from '../../emulator/cpu/modes';
import { debianKernel } from '../support/linuxKernel';
import { QEMU, qemuMissing } from '../support/qemu';
import { runCommand } from '../../cli/run';
import { bootKernel, BootOptions, BootResult, CMDLINE } from './bootKernel';
import { qemuAtKernelEntry } from './qemuEntry';
import { buildInitramfs } from '../support/initramfs';

const kernel = debianKernel();
const skip = 'skip' in kernel ? kernel.skip : undefined;
const soak = process.env.LINUX_SOAK === '1';
let bytes: Uint8Array | null = null;
function image(): Uint8Array {
  if (bytes === null && 'path' in kernel) bytes = readFileSync(kernel.path);
  return bytes!;
}

const KASLR_LINE = "\r\n\r\nKASLR disabled: 'nokaslr' on cmdline.\r\n\r\n";
const printed = (c: string): boolean => c.includes(KASLR_LINE);

/** Boots until the decompressor has printed its line (the trampoline has run by then). */
function toConsoleLine(o: BootOptions = {}): BootResult {
  const r = bootKernel(image(), { ...o, until: printed, slice: 20_000, maxInstructions: 20_000_000 });
  assert.equal(r.console, KASLR_LINE, `console after ${r.machine.cpu.icount} instructions (stopped by ${r.stop} ${r.stopDetail})`);
  return r;
}

/** The mode switches as "mode/paging" steps, starting with the entry state. */
function path(r: BootResult): string[] {
  const s = r.switches;
  return s.length ? [`${s[0].fromMode}/${s[0].fromPaging}`, ...s.map((e) => `${e.toMode}/${e.toPaging}`)] : [];
}

/** The trampoline's round trip: to compatibility mode, paging off, paging on with `levels`, back to 64-bit. */
function roundTrip(levels: '4-level' | '5-level'): string[] {
  return ['long64/4-level', 'compat32/4-level', 'protected32/none', `compat32/${levels}`, `long64/${levels}`];
}

test('decompressor: serial output, and the trampoline switches to 5-level paging (la57 advertised)', { skip }, () => {
  const r = toConsoleLine();
  assert.deepEqual(path(r), roundTrip('5-level'));
  assert.equal(r.switches[0].mnemonic, 'lretq', 'into compatibility mode by a far return');
  assert.equal(r.switches[3].mnemonic, 'ljmpl', 'back to 64-bit mode by a far jump');
  // The trampoline runs below 1 MiB (head_64.S copies it there: no 64-bit CR3 loads from 32-bit code).
  for (const e of r.switches) assert.ok((e.ripLo >>> 0) < 0x100000 && e.ripHi === 0);
  assert.ok(r.machine.cpu.cr4 & CR4_LA57);
});

// 6.1's head_64.S (since "x86/decompressor: Only call the trampoline when changing paging levels")
// compares the wanted CR4.LA57 with the current one and skips the trampoline when they agree.
test('decompressor with -la57: 4-level paging is kept, no trampoline (no mode switch at all)', { skip }, () => {
  const r = toConsoleLine({ cpu: '-la57' });
  assert.deepEqual(path(r), []);
  assert.equal(r.machine.cpu.cr4 & CR4_LA57, 0);
});

test('decompressor with "no5lvl" on the command line: 4-level paging although la57 is advertised', { skip }, () => {
  const r = toConsoleLine({ cmdline: `${CMDLINE} no5lvl` });
  assert.deepEqual(path(r), []);
  assert.equal(r.machine.cpu.cr4 & CR4_LA57, 0);
});

test('kernel loaded above 4 GiB: the trampoline below 1 MiB brings it to 5-level paging and back up', { skip }, () => {
  const load = 0x1_0000_0000;
  const r = toConsoleLine({ load });
  assert.equal(r.loaded.load, load);
  assert.deepEqual(path(r), roundTrip('5-level'));
  assert.equal(r.loaded.entry, load + 0x200);
  // The far return to compatibility mode runs in the trampoline's copy below 1 MiB, the point of the patch.
  assert.ok(r.switches[0].ripHi === 0 && (r.switches[0].ripLo >>> 0) < 0x100000);
  assert.ok(r.machine.cpu.cr4 & CR4_LA57);
  assert.equal(r.machine.cpu.ripHi, 1, 'the decompressor runs above 4 GiB again');
});

test('32-bit entry (linux32): startup_32 enters long mode itself, then the trampoline', { skip }, () => {
  const r = toConsoleLine({ entry: 'linux32' });
  const p = path(r);
  assert.equal(p[0], 'protected32/none');
  assert.deepEqual(p.slice(-4), roundTrip('5-level').slice(1));
  assert.ok(p.includes('long64/4-level'));
});

/** QEMU's serial console from its start until `marker` (or its timeout), as latin1 text. */
function qemuConsole(marker: string, timeoutMs = 60_000, extra: string[] = []): Promise<string> {
  return new Promise((resolve) => {
    const q = spawn(QEMU, ['-kernel', (kernel as { path: string }).path, '-append', CMDLINE, '-cpu', 'qemu64,+la57', '-nodefaults', '-vga', 'none',
      '-serial', 'stdio', '-display', 'none', '-no-reboot', '-monitor', 'none', '-m', '256M', '-accel', 'tcg', ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    const done = (): void => { clearTimeout(timer); q.kill(); resolve(text); };
    const timer = setTimeout(done, timeoutMs);
    q.stdout.on('data', (d: Buffer) => { text += d.toString('latin1'); if (text.includes(marker)) done(); });
    q.on('exit', done);
  });
}

test('the decompressor prints the same as under QEMU (up to the kernel\'s first line)', { skip: skip ?? qemuMissing() ?? undefined }, async () => {
  const q = await qemuConsole('Linux version');
  // QEMU enters through the real-mode setup code, which prints its EDD probe line; the 64-bit entry skips
  // setup, so the comparison starts after it. The kernel proper's log starts with "[    0.000000]".
  const start = q.indexOf('... ok\r\n');
  const end = q.indexOf('[    0.000000]');
  assert.ok(start >= 0 && end > start, `QEMU's console: ${JSON.stringify(q.slice(0, 400))}`);
  const r = toConsoleLine();
  assert.equal(r.console, q.slice(start + '... ok\r\n'.length, end));
});

/** A full boot to the decompressed kernel's first instruction, checked as the sources say it is entered. */
function toKernel(o: BootOptions, la57: boolean): BootResult {
  const r = bootKernel(image(), o);
  assert.ok(r.reachedEntry, `stopped by ${r.stop} after ${r.machine.cpu.icount} instructions: ${r.stopDetail}`);
  assert.equal(r.entryConsole, KASLR_LINE);
  assert.equal(r.entryMode, 'long64');
  assert.equal(r.entryRip, r.loaded.kernelEntry);
  assert.equal(r.entryRsi, r.loaded.bootParams, 'jmp *%rax with RSI = boot_params');
  assert.equal((r.entryCr4 & CR4_LA57) !== 0, la57);
  // The page faults the decompressor took while it mapped the output were all handled by its own IDT.
  const decompressor = r.exceptions.filter((e) => e.instruction < r.entryInstructions);
  assert.ok(decompressor.every((e) => e.vector === 14), JSON.stringify(decompressor.filter((e) => e.vector !== 14).slice(0, 3)));
  return r;
}

let first: BootResult | null = null;

const initramfs = skip === undefined ? buildInitramfs() : { skip };
const initSkip = 'skip' in initramfs ? initramfs.skip : undefined;
/** What test/linux/init.c prints from user space, and what the kernel says when it then powers off (ACPI S5, emulator/bios/acpi.ts). */
const INIT_LINE = 'init: hello from user space';
const POWER_DOWN = 'reboot: Power down';
/**
 * The kernel's own log lines without their timestamps or carriage returns (QEMU's console is cut as soon as
 * the line of interest arrives, possibly between a line's CR and its LF).
 */
const kernelLines = (c: string): string[] => c.split('\n').map((l) => l.replace(/\r+$/, '').replace(/^\[\s*\d+\.\d+\] /, ''));

// One boot covers both: the decompressed kernel's entry is checked on the way, then the kernel proper runs
// (about 1.5·10^9 more instructions) through its own startup_64 with LA57, its early console, memory and
// device setup, unpacks the initramfs and starts /init (test/linux/init.c) in ring 3, which writes a line
// and asks for a power-off, which the kernel does through ACPI (the run ends at the PM1a_CNT write).
test('to the decompressed kernel at 16 MiB through the xz decompressor (64-bit mode, CR4.LA57 set), then the kernel proper to /init in user space', { skip: skip ?? initSkip }, () => {
  first = toKernel({ initrd: initramfs as Uint8Array, beyond: 4_000_000_000, until: (c) => c.includes(POWER_DOWN) }, true);
  assert.equal(first.loaded.kernelEntry, 0x1000000);
  const lines = kernelLines(first.console);
  assert.ok(lines.some((l) => l.startsWith('Linux version 6.')), first.console.slice(0, 2000));
  assert.ok(lines.includes(`Command line: ${CMDLINE}`));
  const run = lines.indexOf('Run /init as init process');
  assert.ok(run > 0, `no /init: the console ends ${JSON.stringify(first.console.slice(-1500))}`);
  assert.ok(lines.slice(run).includes(INIT_LINE), 'the line /init writes from ring 3');
  assert.ok(lines.includes(POWER_DOWN), `the console ends ${JSON.stringify(first.console.slice(-600))}`);
});

test('the kernel proper under QEMU with the same initramfs: the same version, command line and PAT configuration, and the same line from /init', { skip: skip ?? initSkip ?? qemuMissing() ?? undefined }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-initrd-'));
  try {
    const initrd = join(work, 'initrd.cpio');
    writeFileSync(initrd, initramfs as Uint8Array);
    const q = kernelLines(await qemuConsole(INIT_LINE, 120_000, ['-initrd', initrd]));
    const ours = kernelLines((first ?? assert.fail('the boot to /init did not run')).console);
    // The PAT line shows the kernel found the MTRRs set up as firmware leaves them (cpu/mtrr.ts), as under
    // QEMU's SeaBIOS, and so programmed IA32_PAT itself.
    for (const prefix of ['Linux version ', 'Command line: ', 'Kernel command line: ', 'x86/PAT: Configuration']) {
      assert.equal(ours.find((l) => l.startsWith(prefix)), q.find((l) => l.startsWith(prefix)), prefix);
    }
    assert.ok(q.slice(q.indexOf('Run /init as init process')).includes(INIT_LINE), `QEMU's console: ${q.slice(-20).join('\n')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

const hex = (v: number): string => `0x${v.toString(16)}`;
const registers = (r: { cr0: number; cr3: number; cr4: number; efer: number }): Record<string, string> =>
  ({ cr0: hex(r.cr0), cr3: hex(r.cr3), cr4: hex(r.cr4), efer: hex(r.efer) });
const atEntry = (r: BootResult): Record<string, string> =>
  registers({ cr0: r.entryCr0, cr3: r.entryCr3, cr4: r.entryCr4, efer: r.entryEfer });
const qemuSkip = skip ?? qemuMissing() ?? undefined;

// QEMU enters through the real-mode setup code and then startup_32. From startup_64 on, the decompressor
// sets CR4 (PAE, and LA57 as its trampoline chose) and EFER (LME; LMA follows) itself, so these agree
// whichever entry was used. CR0 and CR3 depend on the entry: startup_32 loads CR0 = CR0_STATE and builds
// the page tables at _pgtable that the identity mapping code then reuses, which the 64-bit entry skips.
test('at the decompressed kernel\'s entry, CR4 and EFER are those QEMU has there (gdb stub, -cpu qemu64,+la57)', { skip: qemuSkip }, async () => {
  const ours = first ?? toKernel({}, true);
  const q = await qemuAtKernelEntry((kernel as { path: string }).path, CMDLINE, ours.loaded.kernelEntry);
  assert.equal(q.rip, ours.loaded.kernelEntry, 'QEMU stopped at the entry');
  const { cr4, efer } = atEntry(ours);
  assert.deepEqual({ cr4, efer }, { cr4: hex(q.cr4), efer: hex(q.efer) });
});

test('through the 32-bit entry, as QEMU enters: CR0, CR3, CR4 and EFER at the decompressed kernel\'s entry are QEMU\'s', { skip: qemuSkip }, async () => {
  const ours = toKernel({ entry: 'linux32' }, true);
  const q = await qemuAtKernelEntry((kernel as { path: string }).path, CMDLINE, ours.loaded.kernelEntry);
  assert.equal(q.rip, ours.loaded.kernelEntry, 'QEMU stopped at the entry');
  assert.deepEqual(atEntry(ours), registers(q));
});

if (soak) {
  test('soak: a second boot to the decompressed kernel takes the same instruction count', { skip }, () => {
    const a = first ?? toKernel({}, true);
    const b = toKernel({}, true);
    assert.equal(b.entryInstructions, a.entryInstructions);
  });

  test('soak: to the decompressed kernel with -la57 (CR4 and EFER as QEMU\'s with -cpu qemu64,-la57) and with no5lvl: 4-level paging there', { skip }, async () => {
    const ours = toKernel({ cpu: '-la57' }, false);
    if (qemuSkip === undefined) {
      const q = await qemuAtKernelEntry((kernel as { path: string }).path, CMDLINE, ours.loaded.kernelEntry, '-la57');
      const { cr4, efer } = atEntry(ours);
      assert.deepEqual({ cr4, efer }, { cr4: hex(q.cr4), efer: hex(q.efer) });
    }
    toKernel({ cmdline: `${CMDLINE} no5lvl` }, false);
  });

  test('soak: to the decompressed kernel loaded above 4 GiB', { skip }, () => {
    const high = toKernel({ load: 0x1_0000_0000 }, true);
    assert.equal(high.loaded.kernelEntry, 0x1_0000_0000);
  });
}

test('trampoline run: a bzImage boots with --boot linux by default; --cmdline reaches the decompressor', { skip }, () => {
  let out = '', err = '';
  const io = { out: (s: string): void => { out += s; }, err: (s: string): void => { err += s; } };
  const status = runCommand([(kernel as { path: string }).path, '--cmdline', CMDLINE, '--max-instructions', '1000000', '--trace', 'modes'], io);
  assert.equal(status, 124, err);
  assert.equal(out, KASLR_LINE);
  assert.match(err, /switch: long64 · 4-level → compat32 · 4-level via lretq/);
  assert.match(err, /switch: compat32 · 5-level → long64 · 5-level via ljmpl/);
});
