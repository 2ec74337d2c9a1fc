// support/qemu.ts: runs a Multiboot ELF32 on QEMU (the reference for the boot tests): port 0xE9 via
// -debugcon stdio, the exit status via isa-debug-exit at 0xF4 ((V << 1) | 1), with a timeout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QEMU = 'qemu-system-x86_64';

/** TCG's `max` model has LA57 (and NX, 1 GiB pages); `+la57` states the requirement. */
export const QEMU_CPU = 'max,+la57';

/** Why QEMU cannot be used here, or null when it runs. */
export function qemuMissing(): string | null {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${QEMU} is not installed (CI installs it via .ci/run: apt-get install qemu-system-x86)`;
  }
}

export interface QemuResult {
  console: string;
  /**
   * The process exit status: (V << 1) | 1 after a write of V to port 0xF4 (low 8 bits, as the host
   * keeps them), 0 when the guest shut the machine down otherwise (a triple fault with -no-reboot).
   */
  exitCode: number | null;
  timedOut: boolean;
  stderr: string;
}

/**
 * Runs QEMU on `image` written to a temporary file, with the test devices every boot program uses: the
 * exit port (isa-debug-exit at 0xF4) and the debug console 0xE9 on stdout. `boot` gives the arguments
 * that load the file.
 */
function runQemu(image: Uint8Array, name: string, boot: (file: string) => string[], timeoutMs: number): QemuResult {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-qemu-'));
  try {
    const file = join(work, name);
    writeFileSync(file, image);
    const r = spawnSync(QEMU, [
      ...boot(file),
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
      '-debugcon', 'stdio',
      '-display', 'none', '-no-reboot', '-nodefaults', '-serial', 'none',
      '-m', '256M', '-cpu', QEMU_CPU, '-accel', 'tcg',
    ], { timeout: timeoutMs, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return { console: r.stdout ?? '', exitCode: timedOut ? null : r.status, timedOut, stderr: r.stderr ?? '' };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Boots `elf` with `-kernel` (QEMU's built-in Multiboot v1 loader). */
export function runOnQemu(elf: Uint8Array, timeoutMs = 10_000): QemuResult {
  return runQemu(elf, 'prog.elf', (file) => ['-kernel', file], timeoutMs);
}

/** Boots a raw disk image (a boot sector) with QEMU's BIOS (SeaBIOS), which loads it at 0000:7C00. */
export function runBootSectorOnQemu(image: Uint8Array, timeoutMs = 10_000): QemuResult {
  return runQemu(image, 'disk.img', (file) => ['-drive', `format=raw,file=${file}`], timeoutMs);
}
