// clacStac.test.ts: CLAC and STAC, the EFLAGS.AC toggles Linux puts at every kernel entry once CPUID reports
// SMAP (SDM Vol.2A CLAC, Vol.2B STAC: AC cleared/set; #UD at CPL > 0 or without CPUID.(EAX=07H,ECX=0):EBX.SMAP[bit 20]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Seg } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { flatMachine } from '../support/flat';
import { ORG, machine, runFault, runOk } from './controlHelpers';

const CLAC = [0x0f, 0x01, 0xca], STAC = [0x0f, 0x01, 0xcb];
const AC = 1 << 18, UD = 6;

for (const bits of [16, 32, 64] as const) {
  test(`STAC sets EFLAGS.AC and CLAC clears it, other flags untouched, at CPL 0 in ${bits}-bit code (SDM Vol.2B STAC, Vol.2A CLAC)`, () => {
    const set = machine(bits, STAC, (cpu) => { cpu.flags = 0x2 | 0x400; }); // DF set: must survive
    runOk(set);
    assert.equal(set.cpu.flags & AC, AC, 'STAC: AC = 1');
    assert.equal(set.cpu.flags & 0x400, 0x400, 'DF kept');
    const clear = machine(bits, CLAC, (cpu) => { cpu.flags = 0x2 | AC | 0x400; });
    runOk(clear);
    assert.equal(clear.cpu.flags & AC, 0, 'CLAC: AC = 0');
    assert.equal(clear.cpu.flags & 0x400, 0x400, 'DF kept');
  });
}

test('CLAC and STAC at CPL 3 are #UD, not #GP (SDM Vol.2A CLAC, Vol.2B STAC, protected-mode exceptions)', () => {
  runFault(machine(32, CLAC, (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), UD, -1, 0);
  runFault(machine(64, STAC, (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), UD, -1, 0);
});

test('CLAC and STAC are #UD when CPUID does not report SMAP (SDM Vol.2A CLAC)', () => {
  const noSmap = CpuFeatures.parse('-smap');
  assert.ok(noSmap instanceof CpuFeatures);
  // The decoder takes its CPUID-gated forms from the Machine's features, so build the Machine with them.
  for (const [bits, code] of [[64, CLAC], [32, STAC]] as const) {
    const m = flatMachine(bits, 64 * 1024 * 1024, noSmap as CpuFeatures);
    m.load(ORG, Uint8Array.from([...code, 0xf4]));
    m.cpu.ripLo = ORG;
    m.stateChanged();
    m.exec.stopOnException = true;
    runFault(m, UD, -1, 0);
  }
});
