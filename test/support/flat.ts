// support/flat.ts: machines in a given code size with flat segments and paging off, for instruction
// tests that need no boot protocol. 64-bit mode without paging is not an architectural state; these
// tests use it only because paging is transparent to the instructions under test (identity map).
import { Machine } from '../../emulator/machine';
import { Seg } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { CR0_PE, EFER_LMA, EFER_LME, ATTR_DB, ATTR_L } from '../../emulator/cpu/modes';

export function flatMachine(bits: 16 | 32 | 64, memory = 64 * 1024 * 1024, features?: CpuFeatures): Machine {
  // Instruction tests: ports float, nothing interrupts.
  const m = new Machine({ memory, devices: false, ...(features !== undefined ? { features } : {}) });
  const cpu = m.cpu;
  cpu.reset();
  if (bits === 16) {
    for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segLimit[s] = 0xffff; }
    cpu.segAttr[Seg.CS] = 0x9b;
  } else {
    cpu.cr0 |= CR0_PE;
    if (bits === 64) cpu.efer |= EFER_LME | EFER_LMA;
    for (let s = 0; s < 6; s++) {
      cpu.segSel[s] = s === Seg.CS ? 0x10 : 0x18;
      cpu.segBaseLo[s] = 0;
      cpu.segLimit[s] = -1;
      cpu.segAttr[s] = 0x93 | ATTR_DB | 0x8000;
    }
    cpu.segAttr[Seg.CS] = 0x9b | 0x8000 | (bits === 64 ? ATTR_L : ATTR_DB);
  }
  cpu.ripLo = 0;
  cpu.ripHi = 0;
  m.stateChanged();
  return m;
}
