// loaders/tools.ts: builds test images with the host's GNU toolchain (gcc, as, ld) in a temporary folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the tools cannot run here, or null. */
export function toolsMissing(tools = ['as', 'ld', 'gcc', 'nm', 'objdump']): string | null {
  for (const tool of tools) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}

/** Runs `tool args`; throws with its stderr on failure; returns stdout. */
export function run(tool: string, args: string[], cwd?: string): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed:\n${r.stderr || r.error?.message || ''}`);
  return r.stdout;
}

/** Writes `files` into a fresh folder, calls `body` with its path, removes it afterwards. */
export function inTemp<T>(files: Record<string, string>, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-loaders-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/**
 * An a.out-kludge kernel linked at 0x100000: the header (§3.1.1 and §3.1.3: magic, flags with bits 0, 1
 * and 16, checksum, header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr) then code that
 * stores EAX and EBX at 0x300000 and halts.
 */
export function aoutKernel(): Uint8Array {
  const code = [0xa3, 0x00, 0x00, 0x30, 0x00, 0x89, 0x1d, 0x04, 0x00, 0x30, 0x00, 0xf4];
  const img = new Uint8Array(32 + code.length);
  const v = new DataView(img.buffer);
  const flags = 0x00010003;
  v.setUint32(0, 0x1badb002, true);
  v.setUint32(4, flags, true);
  v.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  v.setUint32(12, 0x100000, true); // header_addr
  v.setUint32(16, 0x100000, true); // load_addr
  v.setUint32(20, 0x100000 + img.length, true); // load_end_addr
  v.setUint32(24, 0x105000, true); // bss_end_addr
  v.setUint32(28, 0x100020, true); // entry_addr
  img.set(code, 32);
  return img;
}
