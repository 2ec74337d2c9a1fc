// support/initramfs.ts: a minimal initramfs for the kernel tests — /dev, /dev/console and /init (test/linux/
// init.c, compiled here with gcc) in the "newc" cpio format the kernel unpacks (Documentation/driver-api/
// early-userspace/buffer-format.rst: a "070701" header of thirteen 8-digit hex fields, the name, each of
// name and data padded to 4 bytes, ended by the entry "TRAILER!!!"). Uncompressed: the kernel takes it as is.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFCHR = 0o020000;

interface Entry { name: string; mode: number; data?: Uint8Array; rdev?: [number, number] }

function cpioNewc(entries: Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => { parts.push(b); size += b.length; };
  const pad = (): void => { if (size % 4) push(new Uint8Array(4 - (size % 4))); };
  const hex = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
  [...entries, { name: 'TRAILER!!!', mode: 0 }].forEach((e, k) => {
    const data = e.data ?? new Uint8Array(0);
    const name = new TextEncoder().encode(`${e.name}\0`);
    const fields = [k + 1, e.mode, 0, 0, e.mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0];
    push(new TextEncoder().encode(`070701${fields.map(hex).join('')}`));
    push(name);
    pad();
    push(data);
    pad();
  });
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** test/linux/init.c, looked for above this module (which may run from a bundle elsewhere in the repository). */
function initSource(): string | null {
  for (let d = __dirname; ; d = dirname(d)) {
    const f = join(d, 'test', 'linux', 'init.c');
    if (existsSync(f)) return f;
    if (dirname(d) === d) return null;
  }
}

/** The initramfs with test/linux/init.c as /init, or why it cannot be built here. */
export function buildInitramfs(): Uint8Array | { skip: string } {
  const source = initSource();
  if (source === null) return { skip: `test/linux/init.c not found above ${__dirname}` };
  const work = mkdtempSync(join(tmpdir(), 'trampoline-initramfs-'));
  try {
    const exe = join(work, 'init');
    try {
      execFileSync('gcc', ['-static', '-nostdlib', '-nostartfiles', '-O2', '-fno-pie', '-no-pie', '-fno-stack-protector',
        '-mgeneral-regs-only', '-fcf-protection=none', '-o', exe, source], { stdio: 'pipe' });
    } catch (e) {
      return { skip: `gcc cannot build test/linux/init.c (CI installs gcc via .ci/run): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}` };
    }
    return cpioNewc([
      { name: 'dev', mode: S_IFDIR | 0o755 },
      { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
      { name: 'init', mode: S_IFREG | 0o755, data: new Uint8Array(readFileSync(exe)) },
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
