// multibootKernel.ts: builds examples/multiboot-kernel (C + assembly) with GCC and GNU ld as its README says,
// into a folder of the caller's — for its test and for `npm run bench`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export function exampleDir(): string {
  const candidates = [2, 3, 4].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', 'multiboot-kernel'));
  return candidates.find((d) => existsSync(path.join(d, 'kernel.c'))) ?? candidates[0];
}

/** The README's build flags: freestanding 32-bit code, no libc, so no gcc-multilib needed. */
export const KERNEL_CFLAGS = ['-m32', '-ffreestanding', '-nostdlib', '-fno-pic', '-fno-pie', '-fno-stack-protector', '-mno-sse', '-mno-mmx', '-O2', '-g'];

export function toolsMissing(): string | null {
  for (const tool of ['gcc', 'ld']) {
    try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); } catch { return `${tool} is not installed (CI installs gcc and binutils)`; }
  }
  return null;
}

/** Builds kernel.elf into `work` as the README says; returns its path. */
export function buildKernel(work: string): string {
  const dir = exampleDir();
  const steps: [string, string[]][] = [
    ['gcc', [...KERNEL_CFLAGS, '-c', path.join(dir, 'boot.S'), '-o', path.join(work, 'boot.o')]],
    ['gcc', [...KERNEL_CFLAGS, '-c', path.join(dir, 'kernel.c'), '-o', path.join(work, 'kernel.o')]],
    ['ld', ['-m', 'elf_i386', '-T', path.join(dir, 'linker.ld'), '-o', path.join(work, 'kernel.elf'), path.join(work, 'boot.o'), path.join(work, 'kernel.o')]],
  ];
  for (const [tool, args] of steps) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}:\n${r.stderr}`);
  }
  return path.join(work, 'kernel.elf');
}

