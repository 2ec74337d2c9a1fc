// test/asm/gas.ts: runs GNU as (x86-64 default target, like our assembler) on a source and returns the
// linked .text bytes (ld -Ttext=0 resolves the relocations an object file would still carry).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why GNU as/ld/objcopy cannot be used, or null when they run. */
export function gasMissing(): string | null {
  for (const tool of ['as', 'ld', 'objcopy']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} (GNU binutils) is not installed`;
    }
  }
  return null;
}

export interface GasResult {
  text: Uint8Array | null;
  /** as's stderr (errors and warnings). */
  stderr: string;
}

/** Assembles with GNU as and links .text at address 0; text is null when as reports an error. */
export function gasText(source: string): GasResult {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-gas-'));
  try {
    const src = join(dir, 'in.S'), obj = join(dir, 'in.o'), elf = join(dir, 'out.elf'), bin = join(dir, 'out.bin');
    writeFileSync(src, source);
    try {
      execFileSync('as', ['--64', '-o', obj, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      return { text: null, stderr: String((e as { stderr?: Buffer }).stderr ?? e) };
    }
    try {
      execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext=0', '-e', '0', '--no-warn-rwx-segments', '-o', elf, obj], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('objcopy', ['-O', 'binary', '-j', '.text', elf, bin], { stdio: 'ignore' });
    } catch (e) {
      return { text: null, stderr: `ld: ${String((e as { stderr?: Buffer }).stderr ?? e)}` };
    }
    return { text: new Uint8Array(readFileSync(bin)), stderr: '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
