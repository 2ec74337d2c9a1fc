// pkru.test.ts: RDPKRU and WRPKRU (SDM Vol.2B RDPKRU, WRPKRU; Vol.3A §4.6.2) — #UD unless CPUID advertises
// PKU and CR4.PKE is set, #GP(0) for ECX (and EDX) not 0, EDX:EAX ← 0:PKRU; WRPKRU's rights apply to the
// next user-mode access; CPUID.07H:ECX.OSPKE[bit 4] follows CR4.PKE. The host CPU has no PKU, so these
// cite the SDM instead of running on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuFeatures } from '../../emulator/cpu/features';
import { Reg } from '../../emulator/cpu/state';
import { StopReason } from '../../emulator/cpu/step';
import { cpuidLeaf } from '../../emulator/cpu/exec/misc';
import { flatMachine } from '../support/flat';

const CR4_PKE = 1 << 22;
const RDPKRU = [0x0f, 0x01, 0xee], WRPKRU = [0x0f, 0x01, 0xef], HLT = [0xf4];
const movEax = (v: number): number[] => [0xb8, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const movEcx = (v: number): number[] => [0xb9, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const XOR_ECX = [0x31, 0xc9], XOR_EDX = [0x31, 0xd2];

function run(code: number[], pke: boolean, pku = true): { stop: StopReason; vector: number; errorCode: number; eax: number; edx: number; pkru: number } {
  const m = flatMachine(64, 16 * 2 ** 20, CpuFeatures.parse(pku ? 'pku' : '-pku') as CpuFeatures);
  if (pke) m.cpu.cr4 |= CR4_PKE | (1 << 5);
  m.stateChanged();
  m.load(0x1000, new Uint8Array(code));
  m.cpu.ripLo = 0x1000;
  m.cpu.lo[Reg.RDX] = 0x55;
  m.exec.stopOnException = true;
  const stop = m.run({ maxInstructions: 100 });
  const x = m.exec.lastException;
  return { stop, vector: x?.vector ?? -1, errorCode: x?.errorCode ?? -1, eax: m.cpu.lo[Reg.RAX] >>> 0, edx: m.cpu.lo[Reg.RDX] >>> 0, pkru: m.cpu.pkru >>> 0 };
}

test('WRPKRU then RDPKRU: PKRU ← EAX; RDPKRU gives EAX = PKRU and clears EDX (SDM Vol.2B)', () => {
  const r = run([...movEax(0x0000000c), ...XOR_ECX, ...XOR_EDX, ...WRPKRU, ...movEax(0), ...RDPKRU, ...HLT], true);
  assert.equal(r.stop, StopReason.Halt);
  assert.equal(r.pkru, 0xc);
  assert.equal(r.eax, 0xc);
  assert.equal(r.edx, 0);
});

test('RDPKRU and WRPKRU raise #UD with CR4.PKE = 0, and when CPUID does not advertise PKU', () => {
  assert.equal(run([...XOR_ECX, ...RDPKRU, ...HLT], false).vector, 6);
  assert.equal(run([...XOR_ECX, ...XOR_EDX, ...WRPKRU, ...HLT], false).vector, 6);
  assert.equal(run([...XOR_ECX, ...RDPKRU, ...HLT], true, false).vector, 6);
});

test('RDPKRU with ECX != 0 and WRPKRU with ECX or EDX != 0 raise #GP(0), PKRU unchanged', () => {
  let r = run([...movEcx(1), ...RDPKRU, ...HLT], true);
  assert.deepEqual([r.vector, r.errorCode], [13, 0]);
  r = run([...movEax(4), ...movEcx(1), ...XOR_EDX, ...WRPKRU, ...HLT], true);
  assert.deepEqual([r.vector, r.errorCode, r.pkru], [13, 0, 0]);
  r = run([...movEax(4), ...XOR_ECX, ...WRPKRU, ...HLT], true); // EDX = 0x55
  assert.deepEqual([r.vector, r.errorCode, r.pkru], [13, 0, 0]);
});

test('CPUID.07H:ECX bit 4 (OSPKE) follows CR4.PKE; bit 3 (PKU) the feature', () => {
  const m = flatMachine(64, 16 * 2 ** 20, CpuFeatures.parse('pku') as CpuFeatures);
  let ecx = cpuidLeaf(m.cpu, 7, 0)[2];
  assert.deepEqual([(ecx >>> 3) & 1, (ecx >>> 4) & 1], [1, 0]);
  m.cpu.cr4 |= CR4_PKE;
  ecx = cpuidLeaf(m.cpu, 7, 0)[2];
  assert.deepEqual([(ecx >>> 3) & 1, (ecx >>> 4) & 1], [1, 1]);
});
