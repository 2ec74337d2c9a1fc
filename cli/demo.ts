// demo.ts: `trampoline demo` — runs a small 64-bit guest (examples/demo64/demo64.S) on the emulator
// core, shows what it printed on the debug console port 0xE9 and how fast it ran.
import { Machine } from '../emulator/machine';
import { PortIo, Seg } from '../emulator/cpu/state';
import { StopReason } from '../emulator/cpu/step';
import { CR0_PE, EFER_LMA, EFER_LME, ATTR_DB, ATTR_L } from '../emulator/cpu/modes';

/** The Bochs/QEMU debug console port: every byte written to it is a character of output. */
export const DEBUG_PORT = 0xe9;

/** Where the demo's code is loaded and starts (LOAD in demo64.S: its absolute addresses assume it). */
export const DEMO_LOAD = 0x1000;

/**
 * examples/demo64/demo64.S assembled with `as --64` and extracted with `objcopy -O binary -j .text`.
 * Committed as bytes because a fresh machine may lack GNU as; test/cli/demo.test.ts re-assembles the
 * source and requires these exact bytes.
 */
export const DEMO_CODE = Buffer.from(
  'bea11000008a0684c07407e6e948ffc6ebf34531c041b90100000041ba310000' +
  '0041bb09000000b90a0000004c89c84d01c14989c0ffc975f3b046e6e9b028e6' +
  'e94488d0e6e9b030e6e9b029e6e9b020e6e9b03de6e9b020e6e94c89c2bed010' +
  '000031ffbb30000000483b167207482b16ffc3ebf483fb30750a85ff75064883' +
  '3e01750688d8e6e9ffc74883c60848833e0075d0b00ae6e941ffc241ffcb7587' +
  'f44669626f6e61636369206e756d6265727320696e2036342d62697420726567' +
  '6973746572733a0a000f1f8000000000000064a7b3b6e00d00008a5d78456301' +
  '0000c16ff28623000080c6a47e8d030000407a10f35a000000a0724e18090000' +
  '0010a5d4e800000000e876481700000000e40b540200000000ca9a3b00000000' +
  '00e1f50500000000809698000000000040420f0000000000a086010000000000' +
  '1027000000000000e80300000000000064000000000000000a00000000000000' +
  '01000000000000000000000000000000',
  'hex',
);

/** What the demo guest prints (F(10), F(20) … F(90)). */
export const DEMO_EXPECTED =
  'Fibonacci numbers in 64-bit registers:\n' +
  'F(10) = 55\n' +
  'F(20) = 6765\n' +
  'F(30) = 832040\n' +
  'F(40) = 102334155\n' +
  'F(50) = 12586269025\n' +
  'F(60) = 1548008755920\n' +
  'F(70) = 190392490709135\n' +
  'F(80) = 23416728348467685\n' +
  'F(90) = 2880067194370816120\n';

/**
 * A machine in 64-bit mode with flat segments and paging off, RIP = 0.
 * 64-bit mode without paging is not an architectural state; it stands in (as test/support/flat.ts does
 * for instruction tests) until the long-mode boot protocol loader exists, which will replace this with
 * real page tables. Paging is transparent to code that runs on an identity map.
 */
export function flat64Machine(memory = 64 * 1024 * 1024): Machine {
  const m = new Machine({ memory });
  const cpu = m.cpu;
  cpu.reset();
  cpu.cr0 |= CR0_PE;
  cpu.efer |= EFER_LME | EFER_LMA;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === Seg.CS ? 0x10 : 0x18;
    cpu.segBaseLo[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = 0x93 | ATTR_DB | 0x8000;
  }
  cpu.segAttr[Seg.CS] = 0x9b | 0x8000 | ATTR_L;
  cpu.ripLo = 0;
  cpu.ripHi = 0;
  m.stateChanged();
  return m;
}

/** Port I/O with one device: the debug console at 0xE9, which collects the bytes written to it. */
export class DebugConsole implements PortIo {
  private readonly bytes: number[] = [];
  /** Called with each byte as it is written (live output); optional. */
  onByte: ((b: number) => void) | null = null;

  in(_port: number, size: number): number {
    // Reads of ports without a device float high (all ones); Bochs returns 0xE9 from its port, but no
    // guest here relies on that.
    return size === 4 ? -1 : (1 << (size * 8)) - 1;
  }

  out(port: number, size: number, value: number): void {
    if (port !== DEBUG_PORT) return;
    for (let k = 0; k < size; k++) {
      const b = (value >>> (8 * k)) & 0xff;
      this.bytes.push(b);
      if (this.onByte) this.onByte(b);
    }
  }

  get text(): string {
    return Buffer.from(this.bytes).toString('latin1');
  }
}

export interface GuestRun {
  output: string;
  instructions: number;
  stop: StopReason;
  /** Final RIP as hex. */
  rip: string;
  seconds: number;
  /** The guest exception that stopped the run, if any (vector and detail). */
  exception: string | null;
}

/** Runs the machine (exceptions stop it rather than being delivered) and collects what it printed. */
export function runGuest(m: Machine, maxInstructions: number, onByte: ((b: number) => void) | null = null): GuestRun {
  const port = new DebugConsole();
  port.onByte = onByte;
  m.io = port;
  m.exec.stopOnException = true;
  const before = m.cpu.icount;
  const t0 = process.hrtime.bigint();
  const stop = m.run({ maxInstructions });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const e = m.exec.lastException;
  return {
    output: port.text,
    instructions: m.cpu.icount - before,
    stop,
    rip: hex64(m.cpu.ripLo, m.cpu.ripHi),
    seconds,
    exception: stop === StopReason.Exception || stop === StopReason.TripleFault
      ? `vector ${e?.vector} at ${e ? hex64(e.ripLo, e.ripHi) : '?'}: ${e?.detail}`
      : null,
  };
}

export function hex64(lo: number, hi: number): string {
  return `0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

/** Runs the demo guest to its HLT. */
export function runDemo(onByte: ((b: number) => void) | null = null): GuestRun {
  const m = flat64Machine();
  m.load(DEMO_LOAD, DEMO_CODE);
  m.cpu.ripLo = DEMO_LOAD;
  m.stateChanged();
  return runGuest(m, 10_000_000, onByte);
}

/** `trampoline demo`: prints a header, the guest's output as it comes, and a summary. */
export function demoCommand(): number {
  const out = process.stdout;
  out.write('Trampoline demo: 64-bit code on the emulator core\n\n');
  const r = runDemo((b) => out.write(String.fromCharCode(b)));
  const mips = r.seconds > 0 ? r.instructions / r.seconds / 1e6 : 0;
  out.write(`\n${r.instructions} instructions executed, stopped by ${r.stop} at RIP ${r.rip}, ` +
    `${(r.seconds * 1000).toFixed(2)} ms (${mips.toFixed(1)} MIPS)\n`);
  if (r.exception) out.write(`guest exception: ${r.exception}\n`);
  return r.stop === StopReason.Halt && r.output === DEMO_EXPECTED ? 0 : 1;
}
