// linux/qemuEntry.ts: the reference for the state in which the decompressor enters the kernel proper.
// QEMU boots the bzImage (`-kernel`, through the real-mode setup code and startup_32), stopped by a
// hardware breakpoint (gdb remote protocol `Z1`) at the decompressed kernel's entry, where CR0, CR3, CR4
// and EFER are read through QEMU's gdb stub (its x86-64 target description has them as registers).
import { spawn } from 'node:child_process';
import { QEMU } from '../support/qemu';
import { GdbRemote } from '../support/gdbRemote';

export interface QemuEntryState {
  /** Where QEMU stopped (the breakpoint's address when it was reached). */
  rip: number;
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** Wall seconds from QEMU's start to the stop at the breakpoint (its firmware, setup code and decompressor). */
  seconds: number;
}

/** Boots `kernelPath` under QEMU TCG with `-cpu qemu64,<cpu>` and reads the registers at linear address `entry`. */
export async function qemuAtKernelEntry(kernelPath: string, cmdline: string, entry: number, cpu = '+la57', timeoutMs = 120_000): Promise<QemuEntryState> {
  const t0 = performance.now();
  const q = spawn(QEMU, ['-kernel', kernelPath, '-append', cmdline, '-cpu', `qemu64,${cpu}`, '-nodefaults', '-vga', 'none',
    '-serial', 'none', '-display', 'none', '-no-reboot', '-monitor', 'none', '-m', '256M', '-accel', 'tcg',
    '-gdb', 'stdio', '-S'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  q.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    const gdb = new GdbRemote(q.stdin, q.stdout);
    const names = await gdb.registerNames();
    const read = async (n: number): Promise<number> => {
      const [lo, hi] = await gdb.readRegister(n);
      return hi * 2 ** 32 + lo;
    };
    const at = (name: string): number => {
      const n = names.indexOf(name);
      if (n < 0) throw new Error(`QEMU's gdb stub has no register ${name} (it has ${names.join(' ')})`);
      return n;
    };
    const set = await gdb.request(`Z1,${entry.toString(16)},1`);
    if (set !== 'OK') throw new Error(`QEMU refused a hardware breakpoint at ${entry.toString(16)}: ${set}`);
    const stop = await gdb.request('c', timeoutMs);
    const seconds = (performance.now() - t0) / 1000;
    if (!/^[ST]05/.test(stop)) throw new Error(`QEMU stopped with "${stop}" instead of at the breakpoint; stderr: ${stderr}`);
    // QEMU 7.2's target description lists ss_base, ds_base and es_base before fs_base, but its `p` packet
    // numbering does not count them, so the control registers sit that many places lower there. The stop
    // is in 64-bit mode, so the right numbering is the one where CR0 has PE and PG and EFER has LMA.
    const unnumbered = at('fs_base') - at('gs') - 1;
    for (const shift of [0, unnumbered]) {
      const cr0 = await read(at('cr0') - shift), efer = await read(at('efer') - shift);
      if (((cr0 & 0x80000001) >>> 0) !== 0x80000001 || (efer & 0x400) === 0) continue;
      return { rip: await read(at('rip')), cr0, cr3: await read(at('cr3') - shift), cr4: await read(at('cr4') - shift), efer, seconds };
    }
    throw new Error(`QEMU's gdb stub shows no CR0 with PE and PG and EFER with LMA at ${entry.toString(16)}`);
  } finally {
    q.kill('SIGKILL');
  }
}
