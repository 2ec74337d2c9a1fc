// control.test.ts: MOV to/from CR0/CR2/CR3/CR4/CR8 and DR0–DR7, LMSW/SMSW/CLTS, LGDT/LIDT/SGDT/SIDT,
// LLDT/LTR/SLDT/STR, LAR/LSL/VERR/VERW, ARPL, INVLPG, and the debugger's crWrite events. Privileged
// instructions cannot run on the host, so every expected value and fault comes from the SDM (cited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, ATTR_L, cpuMode, pagingMode } from '../../emulator/cpu/modes';
import { CR0_TS, CR4_DE, CR4_PCIDE } from '../../emulator/cpu/controlRegs';
import { rflags } from '../../emulator/cpu/flags';
import { FLAG_ZF } from '../../emulator/isa/form';
import { attachEvents, checkModeSwitch, CrWriteEvent, ModeSwitchEvent } from '../../emulator/cpu/events';
import { CpuFeatures, DEFAULT_FEATURES } from '../../emulator/cpu/features';
import {
  HLT, PML4, MOV_CR0_EAX, MOV_CR3_EAX, MOV_CR4_EAX, MOV_EAX_CR0, MOV_EAX_CR3, ORG,
  le32, machine, movEax, movRax, runFault, runN, runOk,
} from './controlHelpers';

const GP = 13, UD = 6, NP = 11, DB = 1;

// ---- MOV CR: access rules ---------------------------------------------------------------------------

test('MOV CR0 round trip in real mode; ET stays 1 and reserved bits 31:0 are ignored (SDM Vol.2B MOV CR, Vol.3A §2.5)', () => {
  const m = machine(16, [0x66, ...movEax(0x00000002 | 0x00001000), ...MOV_CR0_EAX, ...MOV_EAX_CR0]);
  runOk(m);
  assert.equal(m.cpu.cr0 >>> 0, 0x12); // MP kept, ET forced, bit 12 dropped, CD/NW cleared
  assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0x12);
});

test('MOV CR at CPL 3 is #GP(0) (SDM Vol.2B MOV CR, Protected Mode Exceptions)', () => {
  const m = machine(32, MOV_EAX_CR0, (cpu) => { cpu.segSel[Seg.CS] = 0x13; });
  runFault(m, GP, 0, 0);
});

test('MOV from CR1, CR5, CR6, CR7 and CR9–CR15 is #UD (SDM Vol.2B MOV CR)', () => {
  for (const modrm of [0xc8, 0xe8, 0xf0, 0xf8]) runFault(machine(32, [0x0f, 0x20, modrm]), UD, -1, 0);
  runFault(machine(64, [0x44, 0x0f, 0x20, 0xc8]), UD, -1, 0); // CR9
});

test('#UD for a bad CR takes priority over the CPL check (SDM Vol.3A Table 6-2: decode faults first)', () => {
  const m = machine(32, [0x0f, 0x20, 0xc8], (cpu) => { cpu.segSel[Seg.CS] = 0x13; });
  runFault(m, UD, -1, 0);
});

test('MOV to CR0 with PG=1 and PE=0 is #GP(0) (SDM Vol.2B MOV CR: invalid bit combination)', () => {
  const m = machine(16, [0x66, ...movEax(0x80000000), ...MOV_CR0_EAX]);
  runFault(m, GP, 0, 6);
  assert.equal(m.cpu.cr0 & CR0_PG, 0);
});

test('MOV to CR0 with NW=1 and CD=0 is #GP(0) (SDM Vol.2B MOV CR: invalid bit combination)', () => {
  runFault(machine(32, [...movEax(0x20000011), ...MOV_CR0_EAX]), GP, 0, 5);
});

test('MOV to CR0 in 64-bit mode with bits 63:32 set is #GP(0) (SDM Vol.3A §2.5)', () => {
  const m = machine(64, [...movRax(0x80000031, 1), ...MOV_CR0_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 |= CR4_PAE; });
  runFault(m, GP, 0, 10);
});

test('MOV to CR0 with PG=1, EFER.LME=1 and CR4.PAE=0 is #GP(0) (SDM Vol.3A §10.8.5)', () => {
  const m = machine(32, [...movEax(0x80000011), ...MOV_CR0_EAX], (cpu) => { cpu.efer = EFER_LME; });
  runFault(m, GP, 0, 5);
  assert.equal(m.cpu.efer & EFER_LMA, 0);
});

test('activating IA-32e mode with CS.L=1 is #GP(0) (SDM Vol.3A §10.8.5)', () => {
  const m = machine(32, [...movEax(0x80000011), ...MOV_CR0_EAX], (cpu) => {
    cpu.efer = EFER_LME;
    cpu.cr4 = CR4_PAE;
    cpu.segAttr[Seg.CS] |= ATTR_L; // legacy mode ignores L for decoding (D=1: 32-bit code)
  });
  runFault(m, GP, 0, 5);
  assert.equal(m.cpu.efer & EFER_LMA, 0);
});

test('clearing CR0.PG in 64-bit mode is #GP(0) (SDM Vol.3A §4.1.2, §10.8.5.4)', () => {
  const m = machine(64, [...MOV_EAX_CR0, 0x25, ...le32(0x7fffffff), ...MOV_CR0_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 |= CR4_PAE; });
  runFault(m, GP, 0, 8);
  assert.notEqual(m.cpu.cr0 & CR0_PG, 0);
  assert.notEqual(m.cpu.efer & EFER_LMA, 0);
});

test('clearing CR0.PG with CR4.PCIDE=1 is #GP(0), even in compatibility mode (SDM Vol.3A §4.10.1)', () => {
  const m = machine(32, [...movEax(0x00000011), ...MOV_CR0_EAX], (cpu) => {
    cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE | CR4_PCIDE; cpu.efer = EFER_LME | EFER_LMA;
  });
  runFault(m, GP, 0, 5);
});

// ---- CR4 ----------------------------------------------------------------------------------------------

test('MOV to CR4 with a reserved bit (VMXE, bit 13: no VMX) is #GP(0) (SDM Vol.3A §2.5)', () => {
  runFault(machine(32, [...movEax(1 << 13), ...MOV_CR4_EAX]), GP, 0, 5);
});

test('MOV to CR4 setting a feature CPUID does not report is #GP(0) (la57, smep, fsgsbase removed)', () => {
  const features = new CpuFeatures(DEFAULT_FEATURES.filter((f) => f !== 'la57' && f !== 'smep' && f !== 'fsgsbase'));
  for (const bit of [12, 20, 16]) runFault(machine(32, [...movEax(1 << bit), ...MOV_CR4_EAX], undefined, features), GP, 0, 5);
  // With the features present the same writes are accepted (paging off, IA-32e inactive).
  for (const bit of [12, 20, 16]) {
    const m = machine(32, [...movEax(1 << bit), ...MOV_CR4_EAX]);
    runOk(m);
    assert.equal(m.cpu.cr4, 1 << bit);
  }
});

test('MOV to CR4 changing LA57 while IA-32e mode is active is #GP(0) (SDM Vol.3A §4.1.1, Vol.2B MOV CR)', () => {
  // In 64-bit mode and in compatibility mode alike: LMA is what counts.
  const set = (cpu: import('../../emulator/cpu/state').Cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; };
  runFault(machine(64, [...movEax(CR4_PAE | (1 << 12)), ...MOV_CR4_EAX], set), GP, 0, 5);
  const compat = machine(32, [...movEax(CR4_PAE | (1 << 12)), ...MOV_CR4_EAX], (cpu) => { set(cpu); cpu.efer = EFER_LME | EFER_LMA; });
  assert.equal(cpuMode(compat.cpu), 'compat32');
  runFault(compat, GP, 0, 5);
  assert.equal(compat.cpu.cr4, CR4_PAE);
});

test('MOV to CR4 setting LA57 with paging off is accepted (the 5-level trampoline\'s step)', () => {
  const m = machine(32, [...movEax(CR4_PAE | (1 << 12)), ...MOV_CR4_EAX], (cpu) => { cpu.efer = EFER_LME; cpu.cr4 = CR4_PAE; });
  runOk(m);
  assert.equal(m.cpu.cr4, CR4_PAE | (1 << 12));
});

test('clearing CR4.PAE while IA-32e mode is active is #GP(0) (SDM Vol.2B MOV CR, 64-Bit Mode Exceptions)', () => {
  runFault(machine(64, [...movEax(0), ...MOV_CR4_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; }), GP, 0, 5);
});

test('setting CR4.PCIDE outside IA-32e mode is #GP(0) (SDM Vol.3A §2.5, CR4.PCIDE)', () => {
  runFault(machine(32, [...movEax(CR4_PCIDE), ...MOV_CR4_EAX]), GP, 0, 5);
});

test('setting CR4.PCIDE with CR3[11:0] ≠ 0 is #GP(0); with CR3[11:0] = 0 it is accepted (SDM Vol.2B MOV CR)', () => {
  const set = (low: number) => (cpu: import('../../emulator/cpu/state').Cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; cpu.cr3Lo = PML4 | low; };
  runFault(machine(64, [...movEax(CR4_PAE | CR4_PCIDE), ...MOV_CR4_EAX], set(0x123)), GP, 0, 5);
  const m = machine(64, [...movEax(CR4_PAE | CR4_PCIDE), ...MOV_CR4_EAX], set(0));
  runOk(m);
  assert.equal(m.cpu.cr4, CR4_PAE | CR4_PCIDE);
});

// ---- CR3, CR2, CR8 ------------------------------------------------------------------------------------

test('MOV CR3 outside 64-bit mode loads 32 bits and zeroes bits 63:32 (SDM Vol.2B MOV CR)', () => {
  const m = machine(32, [...movEax(0x12345000), ...MOV_CR3_EAX], (cpu) => { cpu.cr3Hi = 1; });
  runOk(m);
  assert.equal(m.cpu.cr3Lo, 0x12345000);
  assert.equal(m.cpu.cr3Hi, 0);
  // Compatibility mode: the same 32-bit load (the 5-level trampoline's reason to keep its table below 4 GiB).
  const c = machine(32, [...movEax(PML4), ...MOV_CR3_EAX, ...MOV_EAX_CR3], (cpu) => {
    cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; cpu.efer = EFER_LME | EFER_LMA;
  });
  assert.equal(cpuMode(c.cpu), 'compat32');
  runOk(c);
  assert.equal(c.cpu.cr3Lo, PML4);
  assert.equal(c.cpu.lo[Reg.RAX], PML4);
});

test('MOV CR3 in 64-bit mode loads 64 bits; bits above MAXPHYADDR (52) are #GP(0) (SDM Vol.2B MOV CR)', () => {
  const set = (cpu: import('../../emulator/cpu/state').Cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; };
  // Two instructions only: the next fetch would walk the tables at the new (unbacked) CR3.
  const ok = machine(64, [...movRax(0x5000, 0x000fffff), ...MOV_CR3_EAX], set);
  runN(ok, 2);
  assert.equal(ok.cpu.cr3Lo, 0x5000);
  assert.equal(ok.cpu.cr3Hi, 0x000fffff);
  runFault(machine(64, [...movRax(0x5000, 0x00100000), ...MOV_CR3_EAX], set), GP, 0, 10);
  // Bit 63 without CR4.PCIDE is reserved too.
  runFault(machine(64, [...movRax(0x5000, 0x80000000 | 0), ...MOV_CR3_EAX], set), GP, 0, 10);
  // Reading back: 64 bits.
  const rd = machine(64, [...MOV_EAX_CR3], set);
  runOk(rd);
  assert.equal(rd.cpu.lo[Reg.RAX], PML4);
});

test('MOV CR3 with CR4.PCIDE=1 and bit 63 set stores bits 62:0 only (SDM Vol.3A §4.10.4.1)', () => {
  const m = machine(64, [...movRax(PML4 | 1, 0x80000000 | 0), ...MOV_CR3_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE | CR4_PCIDE; });
  runOk(m);
  assert.equal(m.cpu.cr3Lo, PML4 | 1);
  assert.equal(m.cpu.cr3Hi, 0);
});

test('CR2 round trip and CR8 (REX.R) round trip; CR8 bits 63:4 are #GP(0) (SDM Vol.3A §11.8.6.5)', () => {
  const m = machine(64, [
    ...movRax(0xdeadb000, 0xffff8000 | 0), 0x0f, 0x22, 0xd0, // mov cr2, rax
    0x0f, 0x20, 0xd1, // mov rcx, cr2
    ...movEax(9), 0x44, 0x0f, 0x22, 0xc0, // mov cr8, rax
    0x44, 0x0f, 0x20, 0xc2, // mov rdx, cr8
  ]);
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RCX] >>> 0, 0xdeadb000);
  assert.equal(m.cpu.hi[Reg.RCX] >>> 0, 0xffff8000);
  assert.equal(m.cpu.cr8, 9);
  assert.equal(m.cpu.lo[Reg.RDX], 9);
  runFault(machine(64, [...movEax(0x10), 0x44, 0x0f, 0x22, 0xc0]), GP, 0, 5);
});

test('MOV CR with 66h in 32-bit code still moves 32 bits (operand size ignored, SDM Vol.2B MOV CR)', () => {
  const m = machine(32, [0x66, ...MOV_EAX_CR0], (cpu) => { cpu.lo[Reg.RAX] = 0x55550000; });
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RAX], m.cpu.cr0);
});

// ---- MOV DR -------------------------------------------------------------------------------------------

test('MOV DR: DR4/DR5 alias DR6/DR7 with CR4.DE=0 and are #UD with CR4.DE=1 (SDM Vol.2B MOV DR)', () => {
  const m = machine(32, [0x0f, 0x21, 0xe0, 0x0f, 0x21, 0xe9]); // mov eax, dr4; mov ecx, dr5
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0xffff0ff0);
  assert.equal(m.cpu.lo[Reg.RCX], 0x400);
  runFault(machine(32, [0x0f, 0x21, 0xe0], (cpu) => { cpu.cr4 = CR4_DE; }), UD, -1, 0);
});

test('MOV DR7/DR6 keep their fixed bits; DR0 round trip; DR8 (REX.R) is #UD (SDM Vol.3B §18.2)', () => {
  const m = machine(64, [
    ...movEax(0xffffdfff), 0x0f, 0x23, 0xf8, 0x0f, 0x21, 0xf9, // dr7 ← all but GD; rcx ← dr7
    ...movEax(0), 0x0f, 0x23, 0xf0, 0x0f, 0x21, 0xf2, // dr6 ← 0; rdx ← dr6
    ...movRax(0x1000, 0xffff8000 | 0), 0x0f, 0x23, 0xc0, 0x0f, 0x21, 0xc3, // dr0 ← rax; rbx ← dr0
  ]);
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RCX] >>> 0, 0xffff07ff);
  assert.equal(m.cpu.lo[Reg.RDX] >>> 0, 0xffff0ff0);
  assert.equal(m.cpu.hi[Reg.RBX] >>> 0, 0xffff8000);
  runFault(machine(64, [0x44, 0x0f, 0x21, 0xc0]), UD, -1, 0);
  // Bits 63:32 of DR7 are reserved: #GP(0) (SDM Vol.3B §18.2.6).
  runFault(machine(64, [...movRax(0, 1), 0x0f, 0x23, 0xf8]), GP, 0, 10);
});

test('MOV DR with DR7.GD=1 raises #DB with DR6.BD set (SDM Vol.3B §18.2.4)', () => {
  const m = machine(32, [0x0f, 0x21, 0xc0], (cpu) => { cpu.drLo[7] |= 1 << 13; });
  runFault(m, DB, -1, 0);
  assert.notEqual(m.cpu.drLo[6] & (1 << 13), 0);
});

// ---- LMSW, SMSW, CLTS ---------------------------------------------------------------------------------

test('LMSW sets PE and TS but cannot clear PE; SMSW reads CR0 (SDM Vol.2A LMSW, Vol.2B SMSW)', () => {
  const m = machine(16, [...[0xb8, 0x09, 0x00], 0x0f, 0x01, 0xf0, 0x66, 0x0f, 0x01, 0xe3]); // mov ax,9; lmsw ax; smsw ebx
  m.cpu.cr0 = 0x10;
  runOk(m);
  assert.equal(m.cpu.cr0 & 0xf, 0x9);
  assert.equal(m.cpu.lo[Reg.RBX], m.cpu.cr0);
  const n = machine(32, [...movEax(0), 0x0f, 0x01, 0xf0]); // lmsw ax with PE=0
  runOk(n);
  assert.equal(n.cpu.cr0 & CR0_PE, CR0_PE);
});

test('SMSW to memory stores 16 bits; CLTS clears CR0.TS; CLTS at CPL 3 is #GP(0) (SDM Vol.2A CLTS)', () => {
  const m = machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x20, 0x0f, 0x06], (cpu) => { cpu.cr0 |= CR0_TS; });
  m.phys.write8(0x2002, 0xaa);
  runOk(m);
  assert.equal(m.phys.read8(0x2000) | (m.phys.read8(0x2001) << 8), 0x0019);
  assert.equal(m.phys.read8(0x2002), 0xaa);
  assert.equal(m.cpu.cr0 & CR0_TS, 0);
  runFault(machine(32, [0x0f, 0x06], (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), GP, 0, 0);
});

// ---- LGDT, LIDT, SGDT, SIDT ---------------------------------------------------------------------------

function putBytes(m: import('../../emulator/machine').Machine, at: number, bytes: number[]): void {
  m.load(at, Uint8Array.from(bytes));
}

test('LGDT with a 16-bit operand size loads a 24-bit base; with 32 bits all 32 (SDM Vol.2A LGDT/LIDT)', () => {
  const m16 = machine(16, [0xbb, 0x00, 0x20, 0x0f, 0x01, 0x17]); // mov bx,0x2000; lgdt [bx]
  putBytes(m16, 0x2000, [0x34, 0x12, 0xdd, 0xcc, 0xbb, 0xaa]);
  runOk(m16);
  assert.equal(m16.cpu.gdtrLimit, 0x1234);
  assert.equal(m16.cpu.gdtrBaseLo >>> 0, 0xbbccdd);
  const m32 = machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x18]); // lidt [eax]
  putBytes(m32, 0x2000, [0x34, 0x12, 0xdd, 0xcc, 0xbb, 0xaa]);
  runOk(m32);
  assert.equal(m32.cpu.idtrLimit, 0x1234);
  assert.equal(m32.cpu.idtrBaseLo >>> 0, 0xaabbccdd);
});

test('SGDT/SIDT store 6 bytes with a 32-bit base outside 64-bit mode, 10 bytes in 64-bit mode (SDM Vol.2B SGDT)', () => {
  const m = machine(16, [0xbb, 0x00, 0x20, 0x0f, 0x01, 0x07], (cpu) => { cpu.gdtrLimit = 0x27; cpu.gdtrBaseLo = 0xaabbccdd | 0; });
  putBytes(m, 0x2000, Array(12).fill(0xee));
  runOk(m);
  assert.deepEqual([...m.phys.readBytes(0x2000, 8)], [0x27, 0x00, 0xdd, 0xcc, 0xbb, 0xaa, 0xee, 0xee]);
  const q = machine(64, [...movEax(0x2000), 0x0f, 0x01, 0x08], (cpu) => { cpu.idtrLimit = 0xfff; cpu.idtrBaseLo = 0x11223344; cpu.idtrBaseHi = 0xffff8000 | 0; });
  putBytes(q, 0x2000, Array(12).fill(0xee));
  runOk(q);
  assert.deepEqual([...q.phys.readBytes(0x2000, 12)], [0xff, 0x0f, 0x44, 0x33, 0x22, 0x11, 0x00, 0x80, 0xff, 0xff, 0xee, 0xee]);
});

test('LGDT in 64-bit mode loads a 64-bit base; a non-canonical base is #GP(0) (SDM Vol.2A LGDT, 64-Bit Mode Exceptions)', () => {
  const ok = machine(64, [...movEax(0x2000), 0x0f, 0x01, 0x10]);
  putBytes(ok, 0x2000, [0xff, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff]);
  runOk(ok);
  assert.equal(ok.cpu.gdtrBaseLo, 0x1000);
  assert.equal(ok.cpu.gdtrBaseHi >>> 0, 0xffff8000);
  const bad = machine(64, [...movEax(0x2000), 0x0f, 0x01, 0x10]);
  putBytes(bad, 0x2000, [0xff, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80]);
  runFault(bad, GP, 0, 5);
  assert.equal(bad.cpu.gdtrLimit, 0xffff); // unchanged
});

test('LGDT at CPL 3 is #GP(0); SGDT at CPL 3 is allowed unless CR4.UMIP (SDM Vol.2A LGDT, Vol.3A §2.5)', () => {
  const user = (cpu: import('../../emulator/cpu/state').Cpu) => { cpu.segSel[Seg.CS] = 0x13; cpu.segSel[Seg.SS] = 0x1b; };
  runFault(machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x10], user), GP, 0, 5);
  runFault(machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x00], user), GP, 0, 8); // SGDT runs; the HLT after it faults
  runFault(machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x00], (cpu) => { user(cpu); cpu.cr4 = 1 << 11; }), GP, 0, 5);
});

// ---- LLDT, LTR, SLDT, STR -----------------------------------------------------------------------------

const GDT = 0x1000;

/** An 8-byte descriptor: base, limit (20 bits), access byte, flags nibble (G, D/B, L, AVL). */
function descriptor(base: number, limit: number, access: number, flags: number): number[] {
  return [
    limit & 0xff, (limit >>> 8) & 0xff, base & 0xff, (base >>> 8) & 0xff, (base >>> 16) & 0xff,
    access, ((limit >>> 16) & 0xf) | (flags << 4), (base >>> 24) & 0xff,
  ];
}

/** A 32-bit protected-mode machine whose GDT (at GDT) holds `entries` after the null descriptor. */
function withGdt(bits: 32 | 64, code: number[], entries: number[][], cpl = 0): import('../../emulator/machine').Machine {
  const m = machine(bits, code, (cpu) => {
    cpu.gdtrBaseLo = GDT;
    cpu.gdtrLimit = 8 * (entries.length + 1) - 1;
    if (cpl) { cpu.segSel[Seg.CS] = 0x10 | cpl; }
  });
  putBytes(m, GDT, [...Array(8).fill(0), ...entries.flat()]);
  return m;
}

test('LTR loads an available TSS and marks its descriptor busy in the GDT (SDM Vol.2B LTR, Vol.3A §8.2.2)', () => {
  const m = withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd8, 0x0f, 0x00, 0xc9], [descriptor(0x3000, 0x67, 0x89, 0)]); // ltr ax; str ecx
  runOk(m);
  assert.equal(m.phys.read8(GDT + 8 + 5), 0x8b);
  assert.equal(m.cpu.segSel[Seg.TR], 0x08);
  assert.equal(m.cpu.segBaseLo[Seg.TR], 0x3000);
  assert.equal(m.cpu.segLimit[Seg.TR], 0x67);
  assert.equal(m.cpu.segAttr[Seg.TR] & 0xff, 0x8b);
  assert.equal(m.cpu.lo[Reg.RCX], 0x08);
});

test('LTR of a busy TSS, an LDT or a null selector is #GP; a non-present TSS is #NP (SDM Vol.2B LTR)', () => {
  runFault(withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x8b, 0)]), GP, 0x08, 5);
  runFault(withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x82, 0)]), GP, 0x08, 5);
  runFault(withGdt(32, [...movEax(0x00), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x89, 0)]), GP, 0, 5);
  runFault(withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x09, 0)]), NP, 0x08, 5);
  runFault(withGdt(32, [...movEax(0x10), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x89, 0)]), GP, 0x10, 5); // beyond the limit
});

test('LTR in IA-32e mode reads a 16-byte descriptor with a 64-bit base (SDM Vol.3A §8.2.3)', () => {
  const m = withGdt(64, [...movEax(0x08), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x89, 0), [0x00, 0x80, 0xff, 0xff, 0, 0, 0, 0]]);
  m.cpu.cr0 |= CR0_PG; m.cpu.cr4 |= CR4_PAE;
  runOk(m);
  assert.equal(m.cpu.segBaseHi[Seg.TR] >>> 0, 0xffff8000);
  // A 16-bit TSS (type 1) is not valid in IA-32e mode.
  const t16 = withGdt(64, [...movEax(0x08), 0x0f, 0x00, 0xd8], [descriptor(0x3000, 0x67, 0x81, 0), [0, 0, 0, 0, 0, 0, 0, 0]]);
  runFault(t16, GP, 0x08, 5);
});

test('LLDT loads an LDT descriptor (type 2) and accepts a null selector; other types are #GP (SDM Vol.2A LLDT)', () => {
  const m = withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd0, 0x0f, 0x00, 0xc1], [descriptor(0x4000, 0x1f, 0x82, 0)]); // lldt ax; sldt ecx
  runOk(m);
  assert.equal(m.cpu.segBaseLo[Seg.LDTR], 0x4000);
  assert.equal(m.cpu.segLimit[Seg.LDTR], 0x1f);
  assert.equal(m.cpu.lo[Reg.RCX], 0x08);
  const n = withGdt(32, [...movEax(0x00), 0x0f, 0x00, 0xd0], [descriptor(0x4000, 0x1f, 0x82, 0)]);
  runOk(n);
  assert.equal(n.cpu.segSel[Seg.LDTR], 0);
  runFault(withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd0], [descriptor(0x4000, 0x1f, 0x89, 0)]), GP, 0x08, 5);
  runFault(withGdt(32, [...movEax(0x0c), 0x0f, 0x00, 0xd0], [descriptor(0x4000, 0x1f, 0x82, 0)]), GP, 0x0c, 5); // TI=1: error code keeps TI
  runFault(withGdt(32, [...movEax(0x08), 0x0f, 0x00, 0xd0], [descriptor(0x4000, 0x1f, 0x02, 0)]), NP, 0x08, 5);
});

test('LLDT/LTR/LAR are #UD in real-address mode (SDM Vol.2A LLDT, Real-Address Mode Exceptions)', () => {
  runFault(machine(16, [0x0f, 0x00, 0xd0]), UD, -1, 0);
  runFault(machine(16, [0x0f, 0x02, 0xc1]), UD, -1, 0);
});

// ---- LAR, LSL, VERR, VERW, ARPL -----------------------------------------------------------------------

interface Probe { access: number; lar: boolean; lsl: boolean; verr: boolean; verw: boolean }

// SDM Vol.2A LAR Table 3-52, LSL Table 3-63, Vol.2B VERR/VERW (legacy protected mode, CPL 0).
const LEGACY_TYPES: Probe[] = [
  { access: 0x80, lar: false, lsl: false, verr: false, verw: false }, // reserved
  { access: 0x81, lar: true, lsl: true, verr: false, verw: false }, // 16-bit TSS (available)
  { access: 0x82, lar: true, lsl: true, verr: false, verw: false }, // LDT
  { access: 0x83, lar: true, lsl: true, verr: false, verw: false }, // 16-bit TSS (busy)
  { access: 0x84, lar: true, lsl: false, verr: false, verw: false }, // 16-bit call gate
  { access: 0x85, lar: true, lsl: false, verr: false, verw: false }, // task gate
  { access: 0x86, lar: false, lsl: false, verr: false, verw: false }, // 16-bit interrupt gate
  { access: 0x87, lar: false, lsl: false, verr: false, verw: false }, // 16-bit trap gate
  { access: 0x89, lar: true, lsl: true, verr: false, verw: false }, // 32-bit TSS (available)
  { access: 0x8b, lar: true, lsl: true, verr: false, verw: false }, // 32-bit TSS (busy)
  { access: 0x8c, lar: true, lsl: false, verr: false, verw: false }, // 32-bit call gate
  { access: 0x8e, lar: false, lsl: false, verr: false, verw: false }, // 32-bit interrupt gate
  { access: 0x8f, lar: false, lsl: false, verr: false, verw: false }, // 32-bit trap gate
  { access: 0x93, lar: true, lsl: true, verr: true, verw: true }, // writable data
  { access: 0x91, lar: true, lsl: true, verr: true, verw: false }, // read-only data
  { access: 0x9b, lar: true, lsl: true, verr: true, verw: false }, // readable code
  { access: 0x99, lar: true, lsl: true, verr: false, verw: false }, // execute-only code
];

test('LAR/LSL/VERR/VERW for each descriptor type in legacy protected mode (SDM Vol.2A LAR, LSL; Vol.2B VERR)', () => {
  for (const p of LEGACY_TYPES) {
    // lar eax, ecx; setz dl... ZF is read back through the flags after each instruction.
    for (const [op, want] of [[[0x0f, 0x02, 0xc1], p.lar], [[0x0f, 0x03, 0xc1], p.lsl], [[0x0f, 0x00, 0xe1], p.verr], [[0x0f, 0x00, 0xe9], p.verw]] as const) {
      const m = withGdt(32, [...movEax(0x11111111), ...movEcx8(), ...op], [descriptor(0x5000, 0x12345, p.access, 0x8)]);
      runOk(m);
      const zf = (rflags(m.cpu) & FLAG_ZF) !== 0;
      assert.equal(zf, want, `access ${p.access.toString(16)} op ${op.map((b) => b.toString(16)).join(' ')}`);
      if (want && op[1] === 0x02) assert.equal(m.cpu.lo[Reg.RAX] >>> 0, (p.access << 8) | 0x00800000 | 0x10000 * 1, 'LAR value');
      if (want && op[1] === 0x03) assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0x12345fff, 'LSL value (G=1: limit × 4 KiB + FFFh)');
      if (!want && (op[1] === 0x02 || op[1] === 0x03)) assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0x11111111, 'destination unchanged');
    }
  }
});

function movEcx8(): number[] {
  return [0xb9, 0x08, 0x00, 0x00, 0x00];
}

test('LAR in IA-32e mode accepts only LDT, 64-bit TSS and 64-bit call gate system types (SDM Vol.2A LAR Table 3-52)', () => {
  for (const [access, want] of [[0x81, false], [0x82, true], [0x84, false], [0x85, false], [0x89, true], [0x8b, true], [0x8c, true], [0x8e, false]] as const) {
    const m = withGdt(64, [...movEcx8(), 0x0f, 0x02, 0xc1], [descriptor(0x5000, 0xff, access, 0)]);
    runOk(m);
    assert.equal((rflags(m.cpu) & FLAG_ZF) !== 0, want, `access ${access.toString(16)}`);
  }
});

test('LAR privilege: data DPL 0 invisible at CPL 3, conforming code visible; null/out-of-limit selectors give ZF=0 without faulting', () => {
  const entries = [descriptor(0, 0xfffff, 0x93, 0xc), descriptor(0, 0xfffff, 0x9f, 0xc)];
  const user = withGdt(32, [...movEcx8(), 0x0f, 0x02, 0xc1], entries, 3);
  runFault(user, GP, 0, 8); // LAR retires; the HLT after it faults at CPL 3
  assert.equal(rflags(user.cpu) & FLAG_ZF, 0);
  const conf = withGdt(32, [0xb9, 0x10, 0, 0, 0, 0x0f, 0x02, 0xc1], entries, 3);
  runFault(conf, GP, 0, 8);
  assert.equal(rflags(conf.cpu) & FLAG_ZF, FLAG_ZF);
  for (const sel of [0, 0x40, 0x0c]) {
    const m = withGdt(32, [0xb9, ...le32(sel), 0x0f, 0x02, 0xc1], entries);
    runOk(m);
    assert.equal(rflags(m.cpu) & FLAG_ZF, 0, `selector ${sel}`);
  }
});

test('ARPL raises the RPL and sets ZF, else clears ZF; #UD in real mode (SDM Vol.2A ARPL)', () => {
  const m = machine(32, [...movEax(3), ...movEcx8(), 0x63, 0xc1]); // arpl cx, ax
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RCX], 0x0b);
  assert.equal(rflags(m.cpu) & FLAG_ZF, FLAG_ZF);
  const n = machine(32, [...movEax(1), 0xb9, 0x0b, 0, 0, 0, 0x63, 0xc1]);
  runOk(n);
  assert.equal(n.cpu.lo[Reg.RCX], 0x0b);
  assert.equal(rflags(n.cpu) & FLAG_ZF, 0);
  runFault(machine(16, [0x63, 0xc1]), UD, -1, 0);
});

// ---- INVLPG, WBINVD, INVD, events -------------------------------------------------------------------

test('INVLPG, WBINVD, INVD run at CPL 0 and are #GP(0) at CPL 3 (SDM Vol.2A INVLPG, WBINVD, INVD)', () => {
  runOk(machine(32, [...movEax(0x2000), 0x0f, 0x01, 0x38, 0x0f, 0x09, 0x0f, 0x08]));
  for (const op of [[0x0f, 0x01, 0x38], [0x0f, 0x09], [0x0f, 0x08]]) {
    runFault(machine(32, op, (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), GP, 0, 0);
  }
});

test('crWrite events report register, old and new values and the instruction address; modeSwitch reports the change', () => {
  const m = machine(32, [...movEax(CR4_PAE), ...MOV_CR4_EAX, ...HLT]);
  const writes: CrWriteEvent[] = [];
  const modes: ModeSwitchEvent[] = [];
  attachEvents(m.cpu, { crWrite: (e) => writes.push(e), modeSwitch: (e) => modes.push(e), exception: () => undefined });
  runOk(m);
  assert.equal(writes.length, 1);
  assert.deepEqual({ ...writes[0] }, { register: 'cr4', oldLo: 0, oldHi: 0, newLo: CR4_PAE, newHi: 0, ripLo: ORG + 5, ripHi: 0, mnemonic: 'mov' });
  // Paging turns on: the run loop's ATTN_MODE service would call checkModeSwitch with the instruction.
  m.cpu.cr0 |= CR0_PG;
  checkModeSwitch(m.cpu, null);
  assert.equal(modes.length, 1);
  assert.equal(modes[0].fromPaging, 'none');
  assert.equal(modes[0].toPaging, 'pae');
  assert.equal(pagingMode(m.cpu), 'pae');
  attachEvents(m.cpu, null);
  assert.equal(m.cpu.events, null);
});
