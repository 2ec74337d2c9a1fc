// examples/multibootKernel.test.ts: examples/multiboot-kernel (C + assembly, Multiboot v1, GDT/IDT, PIT timer
// interrupts through the 8259, exit through port 0xF4) built with GCC and GNU ld into a temporary folder at
// test time, then run by `trampoline run --boot multiboot` and by QEMU's own Multiboot loader
// (`-kernel`, serial on stdio): the serial output and the exit status must agree, and match the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand } from '../../cli/run';
import { QEMU, qemuMissing } from '../support/qemu';

function exampleDir(): string {
  const candidates = [2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', 'multiboot-kernel'));
  return candidates.find((d) => existsSync(path.join(d, 'kernel.c'))) ?? candidates[0];
}

/** The README's build flags: freestanding 32-bit code, no libc, so no gcc-multilib needed. */
const KERNEL_CFLAGS = ['-m32', '-ffreestanding', '-nostdlib', '-fno-pic', '-fno-pie', '-fno-stack-protector', '-mno-sse', '-mno-mmx', '-O2', '-g'];

function toolsMissing(): string | null {
  for (const tool of ['gcc', 'ld']) {
    try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); } catch { return `${tool} is not installed (CI installs gcc and binutils)`; }
  }
  return null;
}

/** Builds kernel.elf into `work` as the README says; returns its path. */
function buildKernel(work: string): string {
  const dir = exampleDir();
  const steps: [string, string[]][] = [
    ['gcc', [...KERNEL_CFLAGS, '-c', path.join(dir, 'boot.S'), '-o', path.join(work, 'boot.o')]],
    ['gcc', [...KERNEL_CFLAGS, '-c', path.join(dir, 'kernel.c'), '-o', path.join(work, 'kernel.o')]],
    ['ld', ['-m', 'elf_i386', '-T', path.join(dir, 'linker.ld'), '-o', path.join(work, 'kernel.elf'), path.join(work, 'boot.o'), path.join(work, 'kernel.o')]],
  ];
  for (const [tool, args] of steps) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${tool} ${args.join(' ')}:\n${r.stderr}`);
  }
  return path.join(work, 'kernel.elf');
}

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
