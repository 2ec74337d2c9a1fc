// segcheck.test.ts: the segment checks of data accesses in 32-bit protected mode (segment.ts
// checkSegmentAccess), exercised through real instructions after real MOV Sreg loads: limits with byte and
// 4-KiB granularity, expand-down data segments (B = 0 and B = 1), writes to read-only data and code, reads
// of execute-only code, null selectors, and SS faults. Expected values from SDM Vol.3A §3.4.5.1 (Table 3-1),
// §5.3 (limit checking, expand-down), §5.4 (type checking), §3.4.2 (null selectors) and the Protected Mode
// Exceptions of SDM Vol.2 MOV, PUSH and STOS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { Machine } from '../../emulator/machine';
import { CODE, descriptor, expectFault, jmpFar, le32, movAx, pm32, r32, runToHlt, setGdt } from './protHelpers';

const SEG = 0x50, XSEG = 0x58;
const movEbx = (v: number): number[] => [0xbb, ...le32(v)];
const READ = [0x8b, 0x03]; // mov eax, [ebx]
const WRITE = [0x89, 0x03]; // mov [ebx], eax
const MOV_DS = [0x8e, 0xd8], MOV_FS = [0x8e, 0xe0], MOV_SS = [0x8e, 0xd0], MOV_ES = [0x8e, 0xc0];

/** Loads `sreg` (by its MOV opcode bytes) with a descriptor (base, raw limit, attr) at SEG, then runs `body`. */
function withSeg(movSreg: number[], base: number, limit: number, attr: number, body: number[]): Machine {
  const m = pm32([...movAx(SEG), ...movSreg, ...body], 0);
  setGdt(m, SEG, descriptor(base, limit, attr));
  return m;
}

/** Offset in the code where `body` starts (after mov ax, SEG; mov sreg, ax). */
const BODY = CODE + 6;

function okRead(movSreg: number[], base: number, limit: number, attr: number, offset: number, prefix: number[] = []): Machine {
  const m = withSeg(movSreg, base, limit, attr, [...movEbx(offset), ...prefix, ...READ]);
  runToHlt(m);
  return m;
}

function faultRead(movSreg: number[], base: number, limit: number, attr: number, offset: number, vector = 13, prefix: number[] = []): void {
  const m = withSeg(movSreg, base, limit, attr, [...movEbx(offset), ...prefix, ...READ]);
  expectFault(m, vector, 0, BODY + 5);
}

test('byte-granular limit: the last byte of a dword must be ≤ the limit, else #GP(0) (SDM Vol.3A §5.3)', () => {
  okRead(MOV_DS, 0x100000, 0xfff, 0x4093, 0xffc);
  faultRead(MOV_DS, 0x100000, 0xfff, 0x4093, 0xffd);
});

test('4-KiB granularity: raw limit 0 covers offsets 0–FFFH (SDM Vol.3A §3.4.5: G scales the limit, low 12 bits 1)', () => {
  okRead(MOV_DS, 0x100000, 0, 0xc093, 0xffc);
  faultRead(MOV_DS, 0x100000, 0, 0xc093, 0xffd);
});

test('expand-down data, B = 1: valid offsets limit+1 … FFFFFFFFH (SDM Vol.3A §5.3)', () => {
  const m = withSeg(MOV_DS, 0x100000, 0xfff, 0x4097, [...movEbx(0x1000), 0xc7, 0x03, ...le32(0xcafe), ...READ]);
  runToHlt(m);
  assert.equal(m.cpu.lo[Reg.RAX], 0xcafe);
  assert.equal(r32(m, 0x101000), 0xcafe, 'offset 1000H is at base + 1000H');
  okRead(MOV_DS, 0x100000, 0xfff, 0x4097, 0xfffffffc); // wraps to linear FFFFCH
  faultRead(MOV_DS, 0x100000, 0xfff, 0x4097, 0xfff);
  faultRead(MOV_DS, 0x100000, 0xfff, 0x4097, 0xffe); // straddles the limit
  faultRead(MOV_DS, 0x100000, 0xfff, 0x4097, 0);
});

test('expand-down data, B = 0: upper bound FFFFH (SDM Vol.3A §5.3)', () => {
  okRead(MOV_DS, 0x100000, 0xfff, 0x0097, 0xfffc);
  faultRead(MOV_DS, 0x100000, 0xfff, 0x0097, 0xfffd);
  faultRead(MOV_DS, 0x100000, 0xfff, 0x0097, 0x10000);
  okRead(MOV_DS, 0x100000, 0xfff, 0x0097, 0x1000);
});

test('expand-down data with G = 1: the scaled limit (raw Fh → FFFFH) is the highest invalid offset (SDM Vol.3A §5.3)', () => {
  faultRead(MOV_DS, 0x100000, 0xf, 0xc097, 0xffff);
  okRead(MOV_DS, 0x100000, 0xf, 0xc097, 0x10000);
});

test('write to a read-only data segment → #GP(0); reading it is fine (SDM Vol.3A §5.4; Vol.2 MOV "non-writable segment")', () => {
  okRead(MOV_DS, 0x100000, 0xfffff, 0xc091, 0x10);
  const m = withSeg(MOV_DS, 0x100000, 0xfffff, 0xc091, [...movEbx(0x10), ...WRITE]);
  expectFault(m, 13, 0, BODY + 5);
});

test('readable code in DS: read allowed, write → #GP(0) (SDM Vol.3A §5.4: no writes into code segments)', () => {
  okRead(MOV_DS, 0, 0xfffff, 0xc09b, CODE);
  const m = withSeg(MOV_DS, 0, 0xfffff, 0xc09b, [...movEbx(0x100000), ...WRITE]);
  expectFault(m, 13, 0, BODY + 5);
});

test('read through CS of an execute-only code segment → #GP(0) (SDM Vol.3A §5.4)', () => {
  // jmp XSEG:next; mov ebx, …; mov eax, cs:[ebx]
  const next = CODE + 7;
  const m = pm32([...jmpFar(XSEG, next), ...movEbx(0x100000), 0x2e, ...READ], 0);
  setGdt(m, XSEG, descriptor(0, 0xfffff, 0xc099)); // execute-only, accessed
  expectFault(m, 13, 0, next + 5);
  // The same read through a readable code segment succeeds.
  const r = pm32([...jmpFar(XSEG, next), ...movEbx(0x100000), 0x2e, ...READ], 0);
  setGdt(r, XSEG, descriptor(0, 0xfffff, 0xc09b));
  runToHlt(r);
});

test('MOV DS with an execute-only code segment → #GP(selector) (SDM Vol.2 MOV: "not a data or readable code segment")', () => {
  const m = withSeg(MOV_DS, 0, 0xfffff, 0xc099, []);
  expectFault(m, 13, SEG, CODE + 4);
});

test('null selector in DS (RPL 0 or 3): the load succeeds, any access → #GP(0) (SDM Vol.3A §3.4.2; Vol.2 MOV)', () => {
  for (const sel of [0, 3]) {
    const m = pm32([...movAx(sel), ...MOV_DS, ...movEbx(0x1000), ...READ], 0);
    expectFault(m, 13, 0, BODY + 5);
  }
  // STOSD writes through ES: a null ES faults the same way.
  const s = pm32([...movAx(0), ...MOV_ES, 0xbf, ...le32(0x1000), 0xab], 0);
  expectFault(s, 13, 0, BODY + 5);
});

test('FS override beyond the FS limit → #GP(0), not #SS (SDM Vol.2 MOV Protected Mode Exceptions)', () => {
  faultRead(MOV_FS, 0x100000, 0xfff, 0x4093, 0xffd, 13, [0x64]);
  okRead(MOV_FS, 0x100000, 0xfff, 0x4093, 0xffc, [0x64]);
});

test('SS limit: PUSH below the limit and [EBP] beyond it → #SS(0) (SDM Vol.2 PUSH/MOV: "outside the SS segment limit")', () => {
  // mov ss, ax; mov esp, 1002h; push eax (writes FFEH–1001H: beyond limit FFFH)
  const p = withSeg(MOV_SS, 0x100000, 0xfff, 0x4093, [0xbc, ...le32(0x1002), 0x50]);
  expectFault(p, 12, 0, BODY + 5);
  // mov ebp, 2000h; mov eax, [ebp]
  const b = withSeg(MOV_SS, 0x100000, 0xfff, 0x4093, [0xbd, ...le32(0x2000), 0x8b, 0x45, 0x00]);
  expectFault(b, 12, 0, BODY + 5);
  // An SS override on an EBX access uses SS's limit too.
  faultRead(MOV_SS, 0x100000, 0xfff, 0x4093, 0x2000, 12, [0x36]);
});

test('expand-down stack: PUSH into the region at or below the limit → #SS(0); above it succeeds (SDM Vol.3A §5.3, §6.2 expand-down stacks)', () => {
  const bad = withSeg(MOV_SS, 0x100000, 0xfff, 0x4097, [0xbc, ...le32(0x1002), 0x50]);
  expectFault(bad, 12, 0, BODY + 5);
  const ok = withSeg(MOV_SS, 0x100000, 0xfff, 0x4097, [0xbc, ...le32(0x1004), 0xb8, ...le32(0x5a5a), 0x50]);
  runToHlt(ok);
  assert.equal(ok.cpu.lo[Reg.RSP], 0x1000);
  assert.equal(r32(ok, 0x101000), 0x5a5a);
});
