// interrupts.ts: delivery of exceptions and interrupts to the guest.
// Real mode through the IVT (SDM Vol.3A §21.1.4). Protected-mode and IA-32e delivery through the
// IDT belong with the system architecture (descriptor checks, privilege changes, IST).
import { materialize } from './flags';
import { FLAG_IF, FLAG_TF } from '../isa/form';
import { CR0_PE } from './modes';
import { Cpu, Seg } from './state';
import { push } from './stack';
import { VECTOR_NAMES } from './fault';

const FLAG_AC = 1 << 18;

/**
 * Delivers exception `vector` for the instruction at cpu.rip (faults restart there). Returns null when
 * delivered, or the explanation when the processor cannot deliver it and shuts down.
 */
export function deliverException(cpu: Cpu, vector: number, errorCode: number, detail: string): string | null {
  if ((cpu.cr0 & CR0_PE) === 0) return deliverReal(cpu, vector, cpu.ripLo);
  const name = VECTOR_NAMES[vector] ?? `vector ${vector}`;
  void errorCode;
  return `${name} (${detail}) in protected mode: IDT delivery is not available in this build`;
}

/** Software interrupt INT n in real mode: pushes the address of the next instruction. */
export function softwareInterrupt(cpu: Cpu, vector: number, nextIp: number): string | null {
  if ((cpu.cr0 & CR0_PE) === 0) return deliverReal(cpu, vector, nextIp);
  return `INT ${vector} in protected mode: IDT delivery is not available in this build`;
}

/** Real-mode delivery: push FLAGS, CS, IP; load CS:IP from the IVT; clear IF, TF, AC. */
function deliverReal(cpu: Cpu, vector: number, ip: number): string | null {
  const entry = vector * 4;
  if (entry + 3 > cpu.idtrLimit) return `vector ${vector} lies beyond the IVT limit 0x${cpu.idtrLimit.toString(16)}`;
  materialize(cpu);
  const m = cpu.mem;
  const offset = m.read16((cpu.idtrBaseLo + entry) | 0, 0);
  const selector = m.read16((cpu.idtrBaseLo + entry + 2) | 0, 0);
  push(cpu, 16, cpu.flags, 0);
  push(cpu, 16, cpu.segSel[Seg.CS], 0);
  push(cpu, 16, ip, 0);
  cpu.flags &= ~(FLAG_IF | FLAG_TF | FLAG_AC);
  cpu.segSel[Seg.CS] = selector;
  cpu.segBaseLo[Seg.CS] = selector << 4;
  cpu.ripLo = offset;
  cpu.ripHi = 0;
  return null;
}
