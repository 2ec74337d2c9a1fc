// test/asm/gas.ts: runs GNU as (x86-64 default target, like our assembler) on a source and returns the
// linked .text bytes (ld -Ttext=0 resolves the relocations an object file would still carry).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why GNU as/ld/objcopy cannot be used, or null when they run. */
export function gasMissing(): string | null {
  for (const tool of ['as', 'ld', 'objcopy', 'gcc']) {
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
    const src = join(dir, 'in.S');
    writeFileSync(src, source);
    return toolText('as', src, [], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Assembles a file in place (so includes resolve beside it) with `as` (a .s: GAS only) or
 * `gcc -c -x assembler-with-cpp` (a .S: C preprocessor first, as `gcc -c x.S` does), then links .text at 0.
 */
export function fileText(path: string, args: string[], cwd: string): GasResult {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-gas-'));
  try {
    return toolText(path.endsWith('.S') ? 'gcc' : 'as', path, args, dir, cwd);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toolText(tool: 'as' | 'gcc', src: string, args: string[], dir: string, cwd = dir): GasResult {
  {
    const obj = join(dir, 'in.o'), elf = join(dir, 'out.elf'), bin = join(dir, 'out.bin');
    try {
      const argv = tool === 'as' ? ['--64', ...args, '-o', obj, src] : ['-c', '-x', 'assembler-with-cpp', ...args, '-o', obj, src];
      execFileSync(tool, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
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
  }
}

export function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
