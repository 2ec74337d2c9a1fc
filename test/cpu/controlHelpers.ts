// controlHelpers.ts: small machine builders and byte helpers shared by the CONTROL group's tests
// (control.test.ts, msr.test.ts, longmode.test.ts).
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Cpu, Reg } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, updateMode } from '../../emulator/cpu/modes';

export const ORG = 0x7c00;

export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
export const movEax = (v: number): number[] => [0xb8, ...le32(v)];
export const movEcx = (v: number): number[] => [0xb9, ...le32(v)];
export const movEdx = (v: number): number[] => [0xba, ...le32(v)];
/** MOV RAX, imm64 (64-bit code only). */
export const movRax = (lo: number, hi: number): number[] => [0x48, 0xb8, ...le32(lo), ...le32(hi)];
export const MOV_CR0_EAX = [0x0f, 0x22, 0xc0];
export const MOV_EAX_CR0 = [0x0f, 0x20, 0xc0];
export const MOV_CR3_EAX = [0x0f, 0x22, 0xd8];
export const MOV_EAX_CR3 = [0x0f, 0x20, 0xd8];
export const MOV_CR4_EAX = [0x0f, 0x22, 0xe0];
export const MOV_EAX_CR4 = [0x0f, 0x20, 0xe0];
export const RDMSR = [0x0f, 0x32];
export const WRMSR = [0x0f, 0x30];
export const HLT = [0xf4];

// Identity-mapped paging structures for every paging mode, placed above 1 MiB (SDM Vol.3A §4.3–§4.5):
// the first 4 MiB (32-bit paging, 4-KiB pages), the first 1 GiB (PAE: 2-MiB pages; 4/5-level: a 1-GiB page).
export const PML4 = 0x100000;
export const PDPT4 = 0x101000;
export const PD_PAE = 0x102000;
export const PML5 = 0x103000;
export const PDPT_PAE = 0x104000;
export const PD32 = 0x105000;
export const PT32 = 0x106000;

function putQ(m: Machine, at: number, lo: number, hi = 0): void {
  m.load(at, Uint8Array.from([...le32(lo), ...le32(hi)]));
}

/** Writes the identity maps (all modes) into guest memory. */
export function identityTables(m: Machine): void {
  putQ(m, PML5, PML4 | 3);
  putQ(m, PML4, PDPT4 | 3);
  putQ(m, PDPT4, 0x83); // 1-GiB page at 0, present, writable
  putQ(m, PDPT_PAE, PD_PAE | 1); // PAE PDPTEs have no R/W bit (SDM Vol.3A §4.4.1)
  const pd = new Uint8Array(4096);
  for (let k = 0; k < 512; k++) pd.set([...le32(k * 0x200000 + 0x83), 0, 0, 0, 0], k * 8);
  m.load(PD_PAE, pd);
  putQ(m, PD32, PT32 | 3);
  const pt = new Uint8Array(4096);
  for (let k = 0; k < 1024; k++) pt.set(le32(k * 0x1000 + 3), k * 4);
  m.load(PT32, pt);
}

/** The CR3 that identity-maps low memory in the current paging mode. */
export function identityCr3(cpu: Cpu): number {
  if ((cpu.efer & EFER_LMA) !== 0) return (cpu.cr4 & CR4_LA57) !== 0 ? PML5 : PML4;
  return (cpu.cr4 & CR4_PAE) !== 0 ? PDPT_PAE : PD32;
}

/**
 * A flat machine in `bits` code running `code` (then HLT) at ORG; `setup` adjusts registers before
 * the mode is derived. Faults stop the run (stopOnException) so tests can look at them.
 */
export function machine(bits: 16 | 32 | 64, code: number[], setup?: (cpu: Cpu) => void, features?: CpuFeatures): Machine {
  const m = flatMachine(bits);
  if (features) {
    // flatMachine builds with the default features; the CPU reads them through cpu.features.
    m.cpu.features = features;
  }
  m.load(ORG, Uint8Array.from([...code, ...HLT]));
  m.cpu.ripLo = ORG;
  m.cpu.lo[Reg.RSP] = 0x8000;
  identityTables(m);
  setup?.(m.cpu);
  // Paging turned on by `setup` walks the identity maps unless the test chose its own CR3.
  if ((m.cpu.cr0 & CR0_PG) !== 0 && m.cpu.cr3Lo === 0 && m.cpu.cr3Hi === 0) m.cpu.cr3Lo = identityCr3(m.cpu);
  m.stateChanged();
  m.mem.setPagingState(m.cpu, true);
  m.exec.stopOnException = true;
  return m;
}

/** Runs to the HLT; fails the test on any exception. */
export function runOk(m: Machine): void {
  const r = m.run({ maxInstructions: 1000 });
  if (r === StopReason.Exception) assert.fail(`unexpected exception ${m.exec.lastException?.vector} (${m.exec.lastException?.detail}) at ${m.exec.lastException?.ripLo.toString(16)}`);
  assert.equal(r, StopReason.Halt);
  updateMode(m.cpu);
}

/** Runs exactly n instructions (none of them may fault), without fetching beyond them. */
export function runN(m: Machine, n: number): void {
  const r = m.run({ maxInstructions: n });
  if (r === StopReason.Exception) assert.fail(`unexpected exception ${m.exec.lastException?.vector} (${m.exec.lastException?.detail})`);
  assert.equal(r, StopReason.Limit);
}

/** Runs and expects the fault `vector` with `errorCode` at the instruction at ORG + `at`. */
export function runFault(m: Machine, vector: number, errorCode: number, at?: number): void {
  const r = m.run({ maxInstructions: 1000 });
  assert.equal(r, StopReason.Exception, `expected vector ${vector}, run ended with ${r}`);
  const e = m.exec.lastException!;
  assert.equal(e.vector, vector, `vector (${e.detail})`);
  assert.equal(e.errorCode, errorCode, `error code (${e.detail})`);
  if (at !== undefined) assert.equal(e.ripLo, ORG + at, 'faulting instruction');
}
