// examples/multibootKernel.test.ts: examples/multiboot-kernel (C + assembly, Multiboot v1, GDT/IDT, PIT timer
// interrupts through the 8259, exit through port 0xF4) built with GCC and GNU ld into a temporary folder at
// test time, then run by `trampoline run --boot multiboot` and by QEMU's own Multiboot loader
// (`-kernel`, serial on stdio): the serial output and the exit status must agree, and match the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand } from '../../cli/run';
import { QEMU, qemuMissing } from '../support/qemu';
import { buildKernel, exampleDir, toolsMissing } from '../support/multibootKernel';

/** The expected console, from the README's fenced block after "Both print". */
function readmeConsole(): string {
  const readme = readFileSync(path.join(exampleDir(), 'README.md'), 'utf8');
  const m = /Both print, and exit with status 33:\n\n```\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README: the expected output block is missing');
  return m[1];
}

test('multiboot-kernel: builds with gcc -m32 -ffreestanding; ours and QEMU print the same and exit 33', { skip: toolsMissing() ?? qemuMissing() ?? false }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'trampoline-mbk-'));
  try {
    const elf = buildKernel(work);
    const q = spawnSync(QEMU, ['-kernel', elf, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-serial', 'stdio',
      '-display', 'none', '-no-reboot', '-nodefaults', '-m', '256M', '-accel', 'tcg'], { timeout: 30_000, encoding: 'latin1' });
    assert.equal(q.status, 33, `QEMU: ${q.stderr}`);
    assert.equal(q.stdout, readmeConsole());
    let out = '', err = '';
    const code = runCommand([elf, '--boot', 'multiboot'], { out: (s) => { out += s; }, err: (s) => { err += s; } });
    assert.equal(out, q.stdout, err);
    assert.equal(code, q.status);
    // Virtual time: the same instruction count on every run.
    const json = (): { instructions: number } => {
      let o = '';
      runCommand([elf, '--json'], { out: (s) => { o += s; }, err: () => undefined });
      return JSON.parse(o) as { instructions: number };
    };
    assert.equal(json().instructions, json().instructions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
