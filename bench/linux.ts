// linux.ts: times a real Debian bzImage from its 64-bit entry to the first instruction of the decompressed
// kernel (the xz decompressor is most of it), as wall time and MIPS, beside QEMU TCG booting the same
// kernel with the same command line (when qemu-system-x86_64 is installed): QEMU's time is from process
// start to the kernel's first console line ("Linux version"), so it also counts its firmware, the
// real-mode setup code and the kernel's first steps — an upper bound for the same span.
// Run: npx esbuild bench/linux.ts --bundle --platform=node --target=node20 --format=cjs
//        --outfile=node_modules/.cache/trampoline-bench/linux.js && node node_modules/.cache/trampoline-bench/linux.js
// Options: --no-qemu, --qemu-only, --max-instructions=N (stop after N: a shorter run for profiling), --load=ADDR (e.g. 0x100000000), --cpu=LIST (e.g. -la57), --beyond=N (then run N more
// instructions into the kernel proper and print its console and how it stopped).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { bootKernel, CMDLINE } from '../test/linux/bootKernel';
import { debianKernel } from '../test/support/linuxKernel';
import { qemuMissing, QEMU } from '../test/support/qemu';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** Seconds from QEMU's start to `marker` on its serial console, or the reason there is none. */
function qemuSeconds(kernel: string, marker: string, timeoutMs = 120_000): Promise<number | string> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const q = spawn(QEMU, ['-kernel', kernel, '-append', CMDLINE, '-cpu', 'qemu64,+la57', '-nodefaults', '-vga', 'none',
      '-serial', 'stdio', '-display', 'none', '-no-reboot', '-monitor', 'none', '-m', '256M', '-accel', 'tcg'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    const timer = setTimeout(() => { q.kill(); resolve(`no "${marker}" within ${timeoutMs / 1000} s`); }, timeoutMs);
    q.stdout.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes(marker)) {
        clearTimeout(timer);
        q.kill();
        resolve((performance.now() - t0) / 1000);
      }
    });
    q.on('exit', () => { clearTimeout(timer); resolve(`QEMU exited before "${marker}"`); });
  });
}

async function main(): Promise<void> {
  const k = debianKernel();
  if (!('path' in k)) { console.log(`bench/linux: no kernel: ${k.skip}`); return; }
  const bytes = readFileSync(k.path);
  const load = opt('load');
  const cpu = opt('cpu');
  console.log(`kernel ${k.path} (${bytes.length} bytes), cmdline "${CMDLINE}"${load ? `, load ${load}` : ''}${cpu ? `, --cpu ${cpu}` : ''}`);
  const beyond = Number(opt('beyond') ?? 0);
  if (args.includes('--qemu-only')) { await qemuLine(k.path); return; }
  const max = opt('max-instructions');
  // CPU time beside wall time: on a shared machine the wall time also counts the other processes' turns.
  const cpu0 = process.cpuUsage();
  const r = bootKernel(bytes, { ...(load ? { load: Number(load) } : {}), ...(cpu ? { cpu } : {}), ...(max ? { maxInstructions: Number(max) } : {}), beyond });
  const used = process.cpuUsage(cpu0);
  const cpuS = (used.user + used.system) / 1e6;
  if (!r.reachedEntry) {
    const n = r.machine.cpu.icount;
    console.log(`trampoline: did not reach the kernel entry: stopped by ${r.stop} after ${n} instructions ${r.stopDetail} (${(r.ms / 1000).toFixed(1)} s, ${(n / r.ms / 1e3).toFixed(1)} MIPS; CPU ${cpuS.toFixed(1)} s, ${(n / cpuS / 1e6).toFixed(1)} MIPS per CPU second)`);
    return;
  }
  const s = r.ms / 1000;
  console.log(`trampoline: kernel entry 0x${r.loaded.kernelEntry.toString(16)} after ${r.entryInstructions} instructions, ${s.toFixed(1)} s, ${(r.entryInstructions / s / 1e6).toFixed(1)} MIPS ` +
    `(CPU ${cpuS.toFixed(1)} s, ${(r.entryInstructions / cpuS / 1e6).toFixed(1)} MIPS per CPU second), CR4.LA57=${r.la57 ? 1 : 0}`);
  if (beyond) {
    const m = r.machine;
    console.log(`kernel proper: ${m.cpu.icount - r.entryInstructions} more instructions, stopped by ${r.stop} ${r.stopDetail} at rip 0x${(m.cpu.ripHi >>> 0).toString(16)}:${(m.cpu.ripLo >>> 0).toString(16)}; ${r.exceptions.length} exceptions (last: ${JSON.stringify(r.exceptions.slice(-3))})`);
    console.log(`console:\n${r.console}`);
  }
  if (args.includes('--no-qemu')) return;
  await qemuLine(k.path);
}

/** Prints QEMU's time for the same kernel, or why there is none. */
async function qemuLine(kernel: string): Promise<void> {
  const missing = qemuMissing();
  if (missing) { console.log(`qemu: ${missing}`); return; }
  const q = await qemuSeconds(kernel, 'Linux version');
  console.log(typeof q === 'number' ? `qemu TCG: "Linux version" after ${q.toFixed(1)} s (process start; firmware + setup + decompressor + early kernel)` : `qemu: ${q}`);
}

void main();
