// linux.ts: times a real Debian bzImage from its 64-bit entry to the first instruction of the decompressed
// kernel (the xz decompressor is most of it), as wall time and MIPS, beside QEMU TCG booting the same
// kernel with the same command line (when qemu-system-x86_64 is installed), stopped at the same
// instruction by a hardware breakpoint through its gdb stub; QEMU's time is from its process start, so it
// also counts its firmware and the real-mode setup code — an upper bound for the same span.
// Run: npx esbuild bench/linux.ts --bundle --platform=node --target=node20 --format=cjs
//        --outfile=node_modules/.cache/trampoline-bench/linux.js && node node_modules/.cache/trampoline-bench/linux.js
// Options: --no-qemu, --qemu-only, --max-instructions=N (stop after N: a shorter run for profiling), --load=ADDR (e.g. 0x100000000), --cpu=LIST (e.g. -la57), --beyond=N (then run N more
// instructions into the kernel proper and print its console and how it stopped, ending early at its panic or
// power-off), --initramfs (give it test/linux/init.c as /init in an initramfs).
import { readFileSync } from 'node:fs';
import { bootKernel, CMDLINE } from '../test/linux/bootKernel';
import { debianKernel } from '../test/support/linuxKernel';
import { parseSetupHeader } from '../emulator/loaders/linuxHeader';
import { buildInitramfs } from '../test/support/initramfs';
import { qemuMissing } from '../test/support/qemu';
import { qemuAtKernelEntry } from '../test/linux/qemuEntry';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

async function main(): Promise<void> {
  const k = debianKernel();
  if (!('path' in k)) { console.log(`bench/linux: no kernel: ${k.skip}`); return; }
  const bytes = readFileSync(k.path);
  const load = opt('load');
  const cpu = opt('cpu');
  console.log(`kernel ${k.path} (${bytes.length} bytes), cmdline "${CMDLINE}"${load ? `, load ${load}` : ''}${cpu ? `, --cpu ${cpu}` : ''}`);
  const beyond = Number(opt('beyond') ?? 0);
  // With nokaslr the decompressor writes the kernel at LOAD_PHYSICAL_ADDR, the header's pref_address, and
  // enters it there (test/linux/boot.test.ts checks that for our run).
  const entry = parseSetupHeader(bytes).prefAddress;
  if (args.includes('--qemu-only')) { await qemuLine(k.path, entry, null); return; }
  const max = opt('max-instructions');
  // CPU time beside wall time: on a shared machine the wall time also counts the other processes' turns.
  const cpu0 = process.cpuUsage();
  let initrd: Uint8Array | undefined;
  if (args.includes('--initramfs')) {
    const built = buildInitramfs();
    if ('skip' in built) { console.log(`bench/linux: ${built.skip}`); return; }
    initrd = built;
  }
  const r = bootKernel(bytes, {
    ...(load ? { load: Number(load) } : {}), ...(cpu ? { cpu } : {}), ...(max ? { maxInstructions: Number(max) } : {}), beyond,
    ...(initrd ? { initrd } : {}), until: (c) => c.includes('end Kernel panic') || /reboot: (Power down|System halted)/.test(c),
  });
  const used = process.cpuUsage(cpu0);
  const cpuS = (used.user + used.system) / 1e6;
  if (!r.reachedEntry) {
    const n = r.machine.cpu.icount;
    console.log(`trampoline: did not reach the kernel entry: stopped by ${r.stop} after ${n} instructions ${r.stopDetail} (${(r.ms / 1000).toFixed(1)} s, ${(n / r.ms / 1e3).toFixed(1)} MIPS; CPU ${cpuS.toFixed(1)} s, ${(n / cpuS / 1e6).toFixed(1)} MIPS per CPU second)`);
    return;
  }
  const s = r.entryMs / 1000;
  // The process's CPU time covers the whole run: per CPU second only when the run ends at the entry.
  const perCpu = beyond ? '' : ` (CPU ${cpuS.toFixed(1)} s, ${(r.entryInstructions / cpuS / 1e6).toFixed(1)} MIPS per CPU second)`;
  console.log(`trampoline: kernel entry 0x${r.loaded.kernelEntry.toString(16)} after ${r.entryInstructions} instructions, ${s.toFixed(1)} s, ${(r.entryInstructions / s / 1e6).toFixed(1)} MIPS` +
    `${perCpu}, CR4.LA57=${r.la57 ? 1 : 0}`);
  if (beyond) {
    const m = r.machine;
    const more = m.cpu.icount - r.entryInstructions, ms = r.ms - r.entryMs;
    console.log(`kernel proper: ${more} more instructions in ${(ms / 1000).toFixed(1)} s (${(more / ms / 1e3).toFixed(1)} MIPS), stopped by ${r.stop} ${r.stopDetail} at rip 0x${(m.cpu.ripHi >>> 0).toString(16)}:${(m.cpu.ripLo >>> 0).toString(16)}; ${r.exceptions.length} exceptions (last: ${JSON.stringify(r.exceptions.slice(-3))})`);
    console.log(`console:\n${r.console}`);
  }
  if (args.includes('--no-qemu')) return;
  await qemuLine(k.path, r.loaded.kernelEntry, s);
}

/**
 * Prints QEMU's time to the same point — the decompressed kernel's first instruction, where a hardware
 * breakpoint set through its gdb stub stops it — and our time over it, or why there is none. QEMU's time
 * runs from its process start, so it also counts its firmware and the real-mode setup code (under a second).
 */
async function qemuLine(kernel: string, entry: number, ours: number | null): Promise<void> {
  const missing = qemuMissing();
  if (missing) { console.log(`qemu: ${missing}`); return; }
  try {
    const q = await qemuAtKernelEntry(kernel, CMDLINE, entry);
    console.log(`qemu TCG: decompressed kernel's entry after ${q.seconds.toFixed(1)} s (process start: firmware + setup + decompressor)` +
      (ours !== null ? `; trampoline/qemu = ${(ours / q.seconds).toFixed(1)}×` : ''));
  } catch (e) {
    console.log(`qemu: ${(e as Error).message}`);
  }
}

void main();
