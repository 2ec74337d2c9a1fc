// fences.test.ts: LFENCE, MFENCE, SFENCE (NP 0F AE E8/F0/F8) decode and retire with no architectural effect
// (SDM Vol.2A LFENCE, MFENCE; Vol.2B SFENCE: they change no register or flag), and are #UD without the
// CPUID feature that introduced them (SSE2 for LFENCE/MFENCE, SSE for SFENCE) or with a LOCK prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { flatMachine } from '../support/flat';
import { ORG, machine, runFault, runOk } from './controlHelpers';

const LFENCE = [0x0f, 0xae, 0xe8], MFENCE = [0x0f, 0xae, 0xf0], SFENCE = [0x0f, 0xae, 0xf8];
const UD = 6;

for (const bits of [16, 32, 64] as const) {
  test(`LFENCE, MFENCE, SFENCE retire in ${bits}-bit code and change no register or flag (SDM Vol.2A/2B)`, () => {
    const m = machine(bits, [...LFENCE, ...MFENCE, ...SFENCE], (cpu) => { cpu.lo[Reg.RAX] = 0x1234; cpu.flags = 0x2 | 0x400 | 0x1; });
    runOk(m);
    assert.equal(m.cpu.lo[Reg.RAX], 0x1234);
    assert.equal(m.cpu.flags & 0x401, 0x401, 'CF and DF kept');
    assert.equal(m.cpu.ripLo, ORG + 9 + 1, 'stopped after the HLT that follows the three 3-byte fences');
  });
}

test('a LOCK prefix on LFENCE is #UD (SDM Vol.2A LFENCE, exceptions)', () => {
  runFault(machine(64, [0xf0, ...LFENCE]), UD, -1, 0);
});

test('LFENCE and MFENCE need CPUID SSE2, SFENCE needs SSE (SDM Vol.2A LFENCE/MFENCE, Vol.2B SFENCE)', () => {
  for (const [spec, code] of [['-sse2', LFENCE], ['-sse2', MFENCE], ['-sse', SFENCE]] as const) {
    const m = flatMachine(64, 64 * 1024 * 1024, CpuFeatures.parse(spec) as CpuFeatures);
    m.load(ORG, Uint8Array.from([...code, 0xf4]));
    m.cpu.ripLo = ORG;
    m.stateChanged();
    m.exec.stopOnException = true;
    runFault(m, UD, -1, 0);
  }
});
