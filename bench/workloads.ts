// workloads.ts: the bench's guest programs — a 64-bit ALU+branch loop and compiled C (workload.c) —
// built, loaded into a flat 64-bit machine and run; shared by bench/run.ts and test/bench/workloads.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Machine } from '../emulator/machine';
import { flat64Machine, GuestRun, runGuest } from '../cli/demo';
import { CR0_PE, CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME } from '../emulator/cpu/modes';
import { MODE_4LEVEL, MODE_5LEVEL } from '../emulator/mmu/pageWalk';

/** The repository root: the nearest folder above this file with Trampoline's package.json. */
export function repoRoot(): string {
  for (let d = __dirname; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'trampoline') return d;
    if (dirname(d) === d) throw new Error(`repository root not found above ${__dirname}`);
  }
}

// ---------------------------------------------------------------------------------------------
// (a) ALU + branch loop. Source (GNU as), 12 instructions per iteration after 2 of setup:
//         xor  %ecx, %ecx
//         add  $N, %ecx            # iteration count (imm32 at offset 4)
//     1:  add  %rax, %rbx
//         xor  %rbx, %rdx
//         sub  %rdx, %rsi
//         add  $-0x61c88647, %rax
//         xor  %rsi, %rdi
//         add  %rdi, %r8
//         sub  %rax, %r9
//         cmp  %r8, %rax
//         adc  %r9, %r10
//         inc  %r11
//         dec  %ecx
//         jne  1b
// followed by HLT on the emulator (the host harness ends at the end of the code instead).

const ALU_LOOP_HEX = '31c981c1ffffff7f4801c34831da4829d64805b979379e4831f74901f84929c14c39c04d11ca49ffc3ffc975db';
export const ALU_LOOP_PER_ITERATION = 12;
/** Initial values of rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15 (rsp is left alone). */
export const ALU_LOOP_REGS: readonly bigint[] = [
  0x0123456789abcdefn, 0n, 0xfedcba9876543210n, 0x1111111111111111n, 0n, 0n, 0x8000000000000001n, 0x7fffffffffffffffn,
  3n, 5n, 7n, 0n, 0n, 0n, 0n, 0n,
];

/** The loop's code for `iterations` (≥ 1) iterations, without the final HLT. */
export function aluLoopCode(iterations: number): Uint8Array {
  const code = Buffer.from(ALU_LOOP_HEX, 'hex');
  code.writeUInt32LE(iterations >>> 0, 4);
  return new Uint8Array(code);
}

/** Instructions the loop retires for `iterations` (excluding the HLT). */
export function aluLoopInstructions(iterations: number): number {
  return 2 + ALU_LOOP_PER_ITERATION * iterations;
}

const CODE_AT = 0x1000;

/** A machine with the loop loaded at 0x1000 (ending in HLT) and its registers set; RIP at the loop. */
export function aluLoopMachine(iterations: number): Machine {
  const m = flat64Machine();
  const code = aluLoopCode(iterations);
  const withHlt = new Uint8Array(code.length + 1);
  withHlt.set(code);
  withHlt[code.length] = 0xf4;
  m.load(CODE_AT, withHlt);
  const cpu = m.cpu;
  for (let r = 0; r < 16; r++) {
    if (r === 4) continue;
    cpu.lo[r] = Number(ALU_LOOP_REGS[r] & 0xffffffffn) | 0;
    cpu.hi[r] = Number(ALU_LOOP_REGS[r] >> 32n) | 0;
  }
  cpu.ripLo = CODE_AT;
  m.stateChanged();
  return m;
}

/** The 16 registers of a machine as unsigned 64-bit values, SDM order. */
export function regs64(m: Machine): bigint[] {
  const out: bigint[] = [];
  for (let r = 0; r < 16; r++) out.push(BigInt(m.cpu.lo[r] >>> 0) | (BigInt(m.cpu.hi[r] >>> 0) << 32n));
  return out;
}

// ---------------------------------------------------------------------------------------------
// (b) compiled C.

/** Flags of the guest build (see the brief in bench/run.ts); -fcf-protection=none keeps ENDBR64 out. */
export const GUEST_CFLAGS = [
  '-O2', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-nostdlib', '-static', '-mno-red-zone',
  '-mgeneral-regs-only', '-fcf-protection=none', '-fno-asynchronous-unwind-tables', '-Wl,--build-id=none',
  '-Wl,-Ttext=0x100000', '-e', '_start',
];

export interface CWorkload {
  /** The guest ELF image. */
  elf: Buffer;
  /** What the same source, built for and run on the host, printed (16 hex digits and a newline). */
  hostOutput: string;
}

/** Why the C workload cannot be built here, or null. */
export function cWorkloadUnavailable(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'needs an x86-64 Linux host';
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc is not installed';
  return null;
}

/** Builds bench/workload.c with ROUNDS for the guest and for the host, and runs the host build. */
export function buildCWorkload(rounds: number): CWorkload {
  const src = join(repoRoot(), 'bench', 'workload.c');
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-bench-'));
  try {
    const guest = join(dir, 'guest.elf'), host = join(dir, 'host');
    const cc = (args: string[]): void => {
      const r = spawnSync('gcc', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`gcc ${args.join(' ')} failed:\n${r.stderr}`);
    };
    cc([...GUEST_CFLAGS, `-DROUNDS=${rounds}`, '-o', guest, src]);
    cc(['-O2', '-DHOST', `-DROUNDS=${rounds}`, '-o', host, src]);
    const run = spawnSync(host, [], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`host build of workload.c failed: ${run.stderr}`);
    return { elf: readFileSync(guest), hostOutput: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies an ELF64 executable's PT_LOAD segments into memory (bss stays zero); returns the entry. */
export function loadElf(m: Machine, elf: Buffer): number {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a little-endian ELF64 file');
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36), phnum = elf.readUInt16LE(0x38);
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (elf.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const offset = Number(elf.readBigUInt64LE(p + 8));
    const paddr = Number(elf.readBigUInt64LE(p + 24));
    const filesz = Number(elf.readBigUInt64LE(p + 32));
    if (filesz > 0) m.load(paddr, elf.subarray(offset, offset + filesz));
  }
  return Number(elf.readBigUInt64LE(0x18));
}

/** Top of the C workload's stack (16-byte aligned, below 16 MiB). */
export const C_STACK_TOP = 0xf00000;

/** A machine with the guest ELF loaded, RSP at C_STACK_TOP and RIP at the entry. */
export function cWorkloadMachine(elf: Buffer): Machine {
  const m = flat64Machine();
  const entry = loadElf(m, elf);
  m.cpu.lo[4] = C_STACK_TOP;
  m.cpu.hi[4] = 0;
  m.cpu.ripLo = entry;
  m.cpu.ripHi = 0;
  m.stateChanged();
  return m;
}

/** Runs a prepared machine to its HLT (at most maxInstructions). */
export function runToHalt(m: Machine, maxInstructions: number): GuestRun {
  return runGuest(m, maxInstructions);
}

// ---------------------------------------------------------------------------------------------
// Paging for the bench: identity-mapped 4-level or 5-level page tables built in guest memory.

/** Physical address of the page tables (48 MiB: above both workloads' code, data and stack). */
export const PAGE_TABLES_AT = 0x3000000;
const PTE_P = 1, PTE_RW = 2, PTE_PS = 0x80;

/** What the bench's page tables map, for the report. */
export const PAGING_LAYOUT = '4 KiB pages for 0–2 MiB (one page table), 2 MiB pages from 2 MiB to the end of RAM (one page directory)';

/**
 * Turns paging on in a flat 64-bit machine (already in IA-32e mode with EFER.LME/LMA set and CR0.PE=1):
 * builds identity-mapped tables at PAGE_TABLES_AT — 4 KiB pages for the first 2 MiB, 2 MiB pages above up
 * to the end of RAM (at most 1 GiB: one page directory) — then sets CR3, CR4.PAE (and CR4.LA57 for 5
 * levels) and CR0.PG as a boot loader's MOV to CR would leave them, and tells the MMU (setPagingState).
 * Levels (SDM Vol.3A §4.5): PML5 → PML4 → PDPT → PD → PT; each table is one 4 KiB page.
 */
export function enablePaging(m: Machine, levels: 4 | 5): void {
  const ram = Math.min(m.phys.lowRam, 1 << 30);
  const base = PAGE_TABLES_AT;
  // Table order from the top: [PML5], PML4, PDPT, PD, PT.
  const tables = levels === 5 ? 5 : 4;
  const img = new Uint8Array(tables * 4096);
  const v = new DataView(img.buffer);
  const at = (k: number): number => base + k * 4096; // physical address of table k
  const set = (table: number, index: number, value: number): void => {
    v.setUint32(table * 4096 + index * 8, value >>> 0, true);
    v.setUint32(table * 4096 + index * 8 + 4, 0, true);
  };
  let t = 0;
  if (levels === 5) { set(t, 0, at(t + 1) | PTE_P | PTE_RW); t++; } // PML5[0] → PML4
  set(t, 0, at(t + 1) | PTE_P | PTE_RW); t++; // PML4[0] → PDPT
  set(t, 0, at(t + 1) | PTE_P | PTE_RW); t++; // PDPT[0] → PD
  const pd = t, pt = t + 1;
  set(pd, 0, at(pt) | PTE_P | PTE_RW); // PD[0] → PT: 4 KiB pages for 0–2 MiB
  for (let k = 1; k < ram / 0x200000; k++) set(pd, k, (k * 0x200000) | PTE_P | PTE_RW | PTE_PS);
  for (let k = 0; k < 512; k++) set(pt, k, (k * 4096) | PTE_P | PTE_RW);
  m.load(base, img);
  const cpu = m.cpu;
  cpu.cr3Lo = base;
  cpu.cr3Hi = 0;
  // CR4.PAE is required for IA-32e paging, LA57 selects 5 levels (§4.1.1); LA57 must be set before
  // CR0.PG since MOV to CR4 cannot change it with IA-32e mode active.
  cpu.cr4 |= CR4_PAE | (levels === 5 ? CR4_LA57 : 0);
  cpu.efer |= EFER_LME | EFER_LMA;
  cpu.cr0 |= CR0_PE | CR0_PG;
  m.stateChanged();
  cpu.mem.setPagingState(cpu, true);
  if (m.mem.walker.mode !== (levels === 5 ? MODE_5LEVEL : MODE_4LEVEL)) throw new Error(`paging mode ${m.mem.walker.mode} after enabling ${levels}-level paging`);
}
