// msrBiosSignId.test.ts: IA32_BIOS_SIGN_ID (8BH), the microcode update signature Linux's early_init_intel
// reads: write 0, execute CPUID.01H, read bits 63:32 (SDM Vol.3A §9.11.7.1 "Determining the Signature";
// Vol.4 Table 2-2 IA32_BIOS_SIGN_ID: bits 31:0 reserved, 0 in bits 63:32 means no update is loaded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { RDMSR, WRMSR, machine, movEax, movEcx, movEdx, runOk } from './controlHelpers';

const CPUID = [0x0f, 0xa2];

for (const bits of [32, 64] as const) {
  test(`IA32_BIOS_SIGN_ID: the signature sequence of SDM Vol.3A §9.11.7.1 reads 0 (no update loaded) in ${bits}-bit mode`, () => {
    const m = machine(bits, [
      ...movEcx(0x8b), ...movEax(0), ...movEdx(0), ...WRMSR, // 1. write 0 to MSR 8BH
      ...movEax(1), ...CPUID, // 2. CPUID with EAX = 1
      ...movEcx(0x8b), ...movEax(-1), ...movEdx(-1), ...RDMSR, // 3. read MSR 8BH
    ]);
    runOk(m);
    assert.equal(m.cpu.lo[Reg.RDX], 0, 'EDX = update revision: 0 means no microcode update is loaded');
    assert.equal(m.cpu.lo[Reg.RAX], 0, 'bits 31:0 are reserved (read as written, 0)');
  });
}
