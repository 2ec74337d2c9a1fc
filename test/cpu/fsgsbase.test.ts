// fsgsbase.test.ts: RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol.2B; F3 [REX.W] 0F AE /0–/3, register only),
// which Linux uses on every context switch once CPUID reports FSGSBASE and it sets CR4.FSGSBASE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { machine, runFault, runOk } from './controlHelpers';

const CR4_FSGSBASE = 1 << 16; // SDM Vol.3A §2.5
const UD = 6, GP = 13;
const RDFSBASE_RAX = [0xf3, 0x48, 0x0f, 0xae, 0xc0];
const RDGSBASE_ECX = [0xf3, 0x0f, 0xae, 0xc9];
const WRFSBASE_RDX = [0xf3, 0x48, 0x0f, 0xae, 0xd2];
const WRGSBASE_EBX = [0xf3, 0x0f, 0xae, 0xdb];
const WRGSBASE_RBX = [0xf3, 0x48, 0x0f, 0xae, 0xdb];

test('RDFSBASE r64 reads the whole FS base; RDGSBASE r32 reads bits 31:0 and zero-extends (SDM Vol.2B RDFSBASE/RDGSBASE)', () => {
  const m = machine(64, [...RDFSBASE_RAX, ...RDGSBASE_ECX], (cpu) => {
    cpu.cr4 |= CR4_FSGSBASE;
    cpu.segBaseLo[Seg.FS] = 0x12345678; cpu.segBaseHi[Seg.FS] = 0xffff8000 | 0;
    cpu.segBaseLo[Seg.GS] = 0x9abcdef0 | 0; cpu.segBaseHi[Seg.GS] = 0x7fff;
    cpu.hi[Reg.RCX] = -1;
  });
  runOk(m);
  assert.deepEqual([m.cpu.lo[Reg.RAX] >>> 0, m.cpu.hi[Reg.RAX] >>> 0], [0x12345678, 0xffff8000]);
  assert.deepEqual([m.cpu.lo[Reg.RCX] >>> 0, m.cpu.hi[Reg.RCX] >>> 0], [0x9abcdef0, 0]);
});

test('WRFSBASE r64 writes the FS base; WRGSBASE r32 writes a zero-extended GS base (SDM Vol.2B WRFSBASE/WRGSBASE)', () => {
  const m = machine(64, [...WRFSBASE_RDX, ...WRGSBASE_EBX], (cpu) => {
    cpu.cr4 |= CR4_FSGSBASE;
    cpu.lo[Reg.RDX] = 0x1000; cpu.hi[Reg.RDX] = 0x7fff;
    cpu.lo[Reg.RBX] = 0x2000; cpu.hi[Reg.RBX] = 0x1234;
    cpu.segBaseHi[Seg.GS] = 0x55;
  });
  runOk(m);
  assert.deepEqual([m.cpu.segBaseLo[Seg.FS], m.cpu.segBaseHi[Seg.FS]], [0x1000, 0x7fff]);
  assert.deepEqual([m.cpu.segBaseLo[Seg.GS], m.cpu.segBaseHi[Seg.GS]], [0x2000, 0]);
});

test('WRGSBASE of a non-canonical address is #GP(0) (SDM Vol.2B WRFSBASE/WRGSBASE, 64-bit mode exceptions)', () => {
  runFault(machine(64, WRGSBASE_RBX, (cpu) => { cpu.cr4 |= CR4_FSGSBASE; cpu.hi[Reg.RBX] = 0x40000000; /* bit 62 alone: canonical for neither 48 nor 57 bits */ }), GP, 0, 0);
});

test('with CR4.FSGSBASE = 0 they are #UD, and outside 64-bit mode they are #UD (SDM Vol.2B RDFSBASE)', () => {
  runFault(machine(64, RDFSBASE_RAX), UD, -1, 0);
  runFault(machine(32, RDGSBASE_ECX, (cpu) => { cpu.cr4 |= CR4_FSGSBASE; }), UD, -1, 0);
});
