// realToLong.test.ts: examples/real-to-long (boot sector → protected mode → long mode) run through the CLI
// entry exactly as its README says, and the same disk image booted under QEMU + SeaBIOS where installed.
// Expected values come from the program's own text and the SDM's mode-switch sequence (Vol.3A §10.9.1
// for CR0.PE, §10.8.5 for IA-32e activation), not from the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assemble, flatBinary } from '../../assembler/index';
import { runCommand } from '../../cli/run';
import { qemuMissing, QEMU } from '../support/qemu';

function exampleFile(): string {
  // out/test/examples/*.test.js (scripts/test.mjs) sits three folders below the repository root.
  const candidates = [2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', 'real-to-long', 'real2long.S'));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

/** The lines the boot sector prints through int 10h teletype (CR LF, as a screen needs). */
const BANNER = 'real2long: real mode\r\n';
/** The built-in BIOS's E820 map for the default 256 MiB: conventional RAM, EBDA, BIOS ROM, RAM above 1 MiB (bios.ts header). */
const E820_LINE = 'E820 entries: 4\r\n';
/** Printed by the 64-bit code on port 0xE9. */
const LONG_LINE = 'long mode\n';

test('real-to-long: the README command prints banner, E820 count and "long mode", exits 1 after the mode switches', () => {
  let out = '', err = '';
  const code = runCommand([exampleFile(), '--boot', 'real', '--trace', 'modes'], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  // Port 0xF4 gets 0: isa-debug-exit's status is (0 << 1) | 1.
  assert.equal(code, 1, err);
  assert.equal(out, BANNER + E820_LINE + LONG_LINE);
  // Instruction counts depend on how many instructions the BIOS services take: the rest is the program's.
  const switches = err.split('\n').filter(Boolean).map((l) => l.replace(/ \(instruction \d+\)$/, ''));
  assert.deepEqual(switches, [
    // SDM Vol.3A §10.9.1: setting CR0.PE enters protected mode while CS keeps its real-mode (16-bit) cache…
    'switch: real · none → protected16 · none via mov at stage2+0xd',
    // …until the far jump loads the 32-bit code segment.
    'switch: protected16 · none → protected32 · none via ljmpw at stage2+0x10',
    // SDM Vol.3A §10.8.5: with CR4.PAE and EFER.LME set, CR0.PG activates IA-32e mode, in compatibility
    // mode (CS.L = 0), with 4-level paging (CR4.LA57 = 0)…
    'switch: protected32 · none → compat32 · 4-level via mov at pm32+0x67',
    // …and the far jump to a CS with L = 1 enters 64-bit mode.
    'switch: compat32 · 4-level → long64 · 4-level via ljmpl at pm32+0x6a',
  ]);
});

test('real-to-long: the same disk image boots under QEMU + SeaBIOS to the same port 0xE9 text and exit status', { skip: qemuMissing() ?? undefined, timeout: 30_000 }, () => {
  const file = exampleFile();
  const asm = assemble(readFileSync(file, 'utf8'), { file, origin: 0x7c00 });
  assert.deepEqual(asm.errors, []);
  const flat = flatBinary(asm.sections, 0x7c00);
  const image = new Uint8Array(Math.ceil(flat.length / 512) * 512);
  image.set(flat);
  assert.equal(image[510], 0x55);
  assert.equal(image[511], 0xaa);
  const work = mkdtempSync(path.join(tmpdir(), 'trampoline-real2long-'));
  try {
    const img = path.join(work, 'real2long.img');
    writeFileSync(img, image);
    const q = spawnSync(QEMU, [
      '-drive', `format=raw,file=${img}`, '-display', 'none', '-serial', 'none', '-debugcon', 'stdio',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot', '-m', '64M', '-accel', 'tcg',
    ], { timeout: 10_000, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(q.error, undefined, `QEMU did not finish: ${String(q.error)}`);
    assert.equal(q.status, 1, `QEMU status ${q.status}: ${q.stderr}\n${q.stdout}`);
    // QEMU's debugcon carries only port 0xE9; SeaBIOS's int 10h teletype draws on the (undisplayed) VGA
    // screen instead, whereas our BIOS also sends teletype bytes to the console. So the comparable text is
    // ours without the int 10h lines: the banner, and the E820 count — which would differ anyway, as the
    // number of E820 entries is the BIOS's choice (SeaBIOS with -m 64M reports a different map).
    let ours = '';
    assert.equal(runCommand([file, '--boot', 'real'], { out: (t) => { ours += t; }, err: () => undefined }), 1);
    const withoutTeletype = ours.split(/(?<=\n)/).filter((l) => !l.endsWith('\r\n')).join('');
    assert.equal(withoutTeletype, LONG_LINE);
    assert.equal(q.stdout, withoutTeletype);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
