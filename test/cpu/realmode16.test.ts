// realmode16.test.ts: 16-bit real-address-mode semantics the 64-bit host cannot run (addressing forms,
// 64 KiB offset wrap, segment-limit faults, A20, IP wrap, INT/IRET and far CALL/RETF), with expected
// values taken from the SDM sections cited in each test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { Reg, Seg } from '../../emulator/cpu/state';
import { StopReason } from '../../emulator/cpu/step';
import { rflags } from '../../emulator/cpu/flags';
import { LEGACY } from '../../emulator/isa/table';
import { flatMachine } from '../support/flat';

const FLAG_CF = 1, FLAG_IF = 0x200;

/** A real-mode machine with CS:IP at `cs`:`ip` holding `code`; every segment base = selector × 16 (SDM Vol.3A §20.1.1). */
function real(cs: number, ip: number, code: number[], segs: { ds?: number; ss?: number; es?: number } = {}): Machine {
  const m = flatMachine(16, 4 * 1024 * 1024);
  const cpu = m.cpu;
  const set = (s: Seg, sel: number) => { cpu.segSel[s] = sel; cpu.segBaseLo[s] = sel << 4; cpu.segLimit[s] = 0xffff; };
  set(Seg.CS, cs);
  set(Seg.DS, segs.ds ?? 0);
  set(Seg.SS, segs.ss ?? 0);
  set(Seg.ES, segs.es ?? 0);
  cpu.ripLo = ip;
  cpu.lo[Reg.RSP] = 0x8000;
  cpu.idtrBaseLo = 0;
  cpu.idtrLimit = 0x3ff;
  m.stateChanged();
  m.load((cs << 4) + ip, Uint8Array.from(code));
  return m;
}

function word(m: Machine, a: number): number {
  return m.phys.read8(a) | (m.phys.read8(a + 1) << 8);
}

function putWord(m: Machine, a: number, v: number): void {
  m.load(a, Uint8Array.of(v & 0xff, (v >> 8) & 0xff));
}

/** Steps one instruction, which must not fault. */
function step(m: Machine): void {
  m.exec.stopOnException = true;
  const r = m.step();
  assert.ok(r === StopReason.Limit || r === StopReason.None, `step stopped with ${r}: ${m.exec.lastException?.detail ?? ''}`);
}

/** Steps one instruction that must raise `vector` (reported before delivery). */
function stepFaults(m: Machine, vector: number): void {
  m.exec.stopOnException = true;
  assert.equal(m.step(), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, vector, m.exec.lastException?.detail);
}

test('16-bit ModRM addressing forms and their default segments (SDM Vol.2 §2.1.5, Table 2-1)', () => {
  // add ax, [bx+si] / [bp+di] / [bp+disp8] / [disp16]: DS = 0x1000, SS = 0x2000 hold different words.
  const cases: { code: number[]; seg: 'ds' | 'ss'; off: number; regs: Partial<Record<Reg, number>> }[] = [
    { code: [0x03, 0x00], seg: 'ds', off: 0x1234 + 0x0100, regs: { [Reg.RBX]: 0x1234, [Reg.RSI]: 0x0100 } },
    { code: [0x03, 0x03], seg: 'ss', off: 0x0200 + 0x0030, regs: { [Reg.RBP]: 0x0200, [Reg.RDI]: 0x0030 } },
    { code: [0x03, 0x46, 0xfe], seg: 'ss', off: 0x0300 - 2, regs: { [Reg.RBP]: 0x0300 } }, // [bp-2]: disp8 sign-extended
    { code: [0x03, 0x06, 0x78, 0x56], seg: 'ds', off: 0x5678, regs: {} }, // mod=00 rm=110: disp16, DS
    { code: [0x36, 0x03, 0x00], seg: 'ss', off: 0x0040 + 0x0002, regs: { [Reg.RBX]: 0x0040, [Reg.RSI]: 2 } }, // SS override
  ];
  for (const c of cases) {
    const m = real(0x0100, 0, c.code, { ds: 0x1000, ss: 0x2000 });
    for (const [r, v] of Object.entries(c.regs)) m.cpu.lo[+r] = v as number;
    m.cpu.lo[Reg.RAX] = 0;
    putWord(m, 0x10000 + c.off, 0xd5d5);
    putWord(m, 0x20000 + c.off, 0x5555);
    step(m);
    assert.equal(m.cpu.lo[Reg.RAX] & 0xffff, c.seg === 'ds' ? 0xd5d5 : 0x5555, `${Buffer.from(c.code).toString('hex')}`);
  }
});

test('16-bit effective addresses wrap at 64 KiB (SDM Vol.2 §2.1.5: the sum is truncated to 16 bits)', () => {
  // add ax, [bx+si] with bx = 0xFFFF, si = 2: offset 1, not 0x10001.
  const m = real(0x0100, 0, [0x03, 0x00], { ds: 0x1000 });
  m.cpu.lo[Reg.RBX] = 0xffff;
  m.cpu.lo[Reg.RSI] = 2;
  m.cpu.lo[Reg.RAX] = 0;
  putWord(m, 0x10001, 0xbeef);
  putWord(m, 0x20001, 0x1111);
  step(m);
  assert.equal(m.cpu.lo[Reg.RAX] & 0xffff, 0xbeef);
  // [bp+disp8] wraps too: bp = 0xFFF0, disp8 = 0x20 → offset 0x0010 in SS.
  const m2 = real(0x0100, 0, [0x03, 0x46, 0x20], { ss: 0x3000 });
  m2.cpu.lo[Reg.RBP] = 0xfff0;
  m2.cpu.lo[Reg.RAX] = 0;
  putWord(m2, 0x30010, 0x4242);
  step(m2);
  assert.equal(m2.cpu.lo[Reg.RAX] & 0xffff, 0x4242);
});

test('a word at offset 0xFFFF faults: #GP for DS, #SS for SS (SDM Vol.2 ADD "Real-Address Mode Exceptions"; Vol.3A §20.1.1)', () => {
  // The 386 and later check the whole operand against the 64 KiB limit; nothing wraps within one access.
  const m = real(0x0100, 0, [0x03, 0x07], { ds: 0x1000 }); // add ax, [bx]
  m.cpu.lo[Reg.RBX] = 0xffff;
  stepFaults(m, 13);
  assert.equal(m.cpu.ripLo, 0, 'a fault restarts at the faulting instruction');
  const s = real(0x0100, 0, [0x03, 0x46, 0x00], { ss: 0x1000 }); // add ax, [bp+0]
  s.cpu.lo[Reg.RBP] = 0xffff;
  stepFaults(s, 12);
  // A byte at 0xFFFF is within the limit.
  const b = real(0x0100, 0, [0x02, 0x07], { ds: 0x1000 }); // add al, [bx]
  b.cpu.lo[Reg.RBX] = 0xffff;
  b.cpu.lo[Reg.RAX] = 0;
  b.load(0x1ffff, Uint8Array.of(0x77));
  step(b);
  assert.equal(b.cpu.lo[Reg.RAX] & 0xff, 0x77);
});

test('segment base = selector × 16 reaches above 1 MiB with A20 enabled (SDM Vol.3A §20.1.1)', () => {
  // add al, [0x0010] with DS = 0xFFFF: linear 0xFFFF0 + 0x10 = 0x100000 (no wrap to 0 while A20 is on).
  const m = real(0x0100, 0, [0x02, 0x06, 0x10, 0x00], { ds: 0xffff });
  m.cpu.lo[Reg.RAX] = 0;
  m.load(0x100000, Uint8Array.of(0x5a));
  m.load(0x000000, Uint8Array.of(0x11));
  step(m);
  assert.equal(m.cpu.lo[Reg.RAX] & 0xff, 0x5a);
});

test('IP wraps from 0xFFFF to 0 in 16-bit code (SDM Vol.3A §20.1: 16-bit instruction pointer)', () => {
  // inc ax (40) at CS:FFFF, then inc ax at CS:0000.
  const m = real(0x2000, 0xffff, [0x40]);
  m.load(0x20000, Uint8Array.of(0x40));
  m.cpu.lo[Reg.RAX] = 0;
  step(m);
  assert.equal(m.cpu.ripLo, 0);
  step(m);
  assert.equal(m.cpu.ripLo, 1);
  assert.equal(m.cpu.lo[Reg.RAX] & 0xffff, 2);
});

test('INT n and IRET round trip through the IVT (SDM Vol.3A §20.1.4; Vol.2 INT n, IRET real-address mode)', (t) => {
  if (LEGACY[0][0xcd].length === 0) return t.skip('INT n (CD ib) is not in the instruction table yet');
  const m = real(0x0100, 0x0010, [0xcd, 0x21], { ss: 0x3000 });
  putWord(m, 0x21 * 4, 0x0040); // IVT[0x21] = 0x1234:0x0040
  putWord(m, 0x21 * 4 + 2, 0x1234);
  m.load(0x12340 + 0x40, Uint8Array.of(0xcf)); // IRET
  m.cpu.flags = 0x2 | FLAG_CF | FLAG_IF;
  step(m);
  assert.equal(m.cpu.segSel[Seg.CS], 0x1234);
  assert.equal(m.cpu.segBaseLo[Seg.CS], 0x12340);
  assert.equal(m.cpu.ripLo, 0x0040);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x8000 - 6);
  const sp = 0x30000 + 0x8000;
  assert.equal(word(m, sp - 2) & 0xfff, 0x2 | FLAG_CF | FLAG_IF, 'FLAGS pushed first');
  assert.equal(word(m, sp - 4), 0x0100, 'then CS');
  assert.equal(word(m, sp - 6), 0x0012, 'then the IP of the next instruction');
  assert.equal(rflags(m.cpu) & FLAG_IF, 0, 'IF cleared');
  step(m);
  assert.equal(m.cpu.segSel[Seg.CS], 0x0100);
  assert.equal(m.cpu.segBaseLo[Seg.CS], 0x1000);
  assert.equal(m.cpu.ripLo, 0x0012);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x8000);
  assert.equal(rflags(m.cpu) & 0xfff, 0x2 | FLAG_CF | FLAG_IF);
});

test('IRET pops IP, CS, FLAGS; IRETD masks EFLAGS with 257FD5H (SDM Vol.2 IRET, real-address mode)', () => {
  const m = real(0x0100, 0, [0xcf], { ss: 0x3000 });
  m.cpu.lo[Reg.RSP] = 0x7ffa;
  putWord(m, 0x37ffa, 0x1234); // IP
  putWord(m, 0x37ffc, 0xabcd); // CS
  putWord(m, 0x37ffe, 0x0ed7); // FLAGS: OF DF IF TF SF ZF AF PF CF
  step(m);
  assert.equal(m.cpu.ripLo, 0x1234);
  assert.equal(m.cpu.segSel[Seg.CS], 0xabcd);
  assert.equal(m.cpu.segBaseLo[Seg.CS], 0xabcd0);
  assert.equal(rflags(m.cpu) & 0xffff, 0x0ed7);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x8000);
  // 66 CF: 32-bit pops; EFLAGS ← (temp AND 257FD5H) OR (EFLAGS AND 1A0000H); bit 1 stays set.
  const d = real(0x0100, 0, [0x66, 0xcf], { ss: 0x3000 });
  d.cpu.lo[Reg.RSP] = 0x7ff4;
  for (const [a, v] of [[0x37ff4, 0x0010], [0x37ff6, 0], [0x37ff8, 0x2000], [0x37ffa, 0xffff], [0x37ffc, 0xffff], [0x37ffe, 0xffff]]) putWord(d, a, v);
  step(d);
  assert.equal(d.cpu.ripLo, 0x0010);
  assert.equal(d.cpu.segSel[Seg.CS], 0x2000);
  assert.equal(rflags(d.cpu) >>> 0, 0x257fd5 | 2);
  assert.equal(d.cpu.lo[Reg.RSP] & 0xffff, 0x8000);
});

test('far CALL ptr16:16 and RETF round trip; RETF imm16 releases parameters (SDM Vol.2 CALL, RET real-address mode)', () => {
  // call 0x2000:0x0100 at 0x0100:0x0010; callee: retf 4.
  const m = real(0x0100, 0x0010, [0x9a, 0x00, 0x01, 0x00, 0x20], { ss: 0x3000 });
  m.load(0x20000 + 0x100, Uint8Array.of(0xca, 0x04, 0x00));
  step(m);
  assert.equal(m.cpu.segSel[Seg.CS], 0x2000);
  assert.equal(m.cpu.segBaseLo[Seg.CS], 0x20000);
  assert.equal(m.cpu.ripLo, 0x0100);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x7ffc);
  assert.equal(word(m, 0x37ffe), 0x0100, 'CS pushed first');
  assert.equal(word(m, 0x37ffc), 0x0015, 'then the IP after the CALL');
  step(m);
  assert.equal(m.cpu.segSel[Seg.CS], 0x0100);
  assert.equal(m.cpu.ripLo, 0x0015);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x8004);
});

test('far JMP m16:16 and CALL m16:16 read offset then selector (SDM Vol.2 JMP, CALL)', () => {
  // jmp far [bx] with DS:BX → 0x0300 (offset), 0x4000 (selector).
  const j = real(0x0100, 0, [0xff, 0x2f], { ds: 0x1000 });
  j.cpu.lo[Reg.RBX] = 0x0020;
  putWord(j, 0x10020, 0x0300);
  putWord(j, 0x10022, 0x4000);
  step(j);
  assert.equal(j.cpu.segSel[Seg.CS], 0x4000);
  assert.equal(j.cpu.segBaseLo[Seg.CS], 0x40000);
  assert.equal(j.cpu.ripLo, 0x0300);
  // call far [bx]: pushes CS and the next IP.
  const c = real(0x0100, 0, [0xff, 0x1f], { ds: 0x1000, ss: 0x3000 });
  c.cpu.lo[Reg.RBX] = 0x0020;
  putWord(c, 0x10020, 0x0300);
  putWord(c, 0x10022, 0x4000);
  step(c);
  assert.equal(c.cpu.ripLo, 0x0300);
  assert.equal(word(c, 0x37ffe), 0x0100);
  assert.equal(word(c, 0x37ffc), 0x0002);
  // The pointer must lie wholly within the segment: at offset 0xFFFE it faults (#GP) and nothing changes.
  const f = real(0x0100, 0, [0xff, 0x1f], { ds: 0x1000, ss: 0x3000 });
  f.cpu.lo[Reg.RBX] = 0xfffe;
  stepFaults(f, 13);
  assert.equal(f.cpu.lo[Reg.RSP] & 0xffff, 0x8000);
  assert.equal(f.cpu.segSel[Seg.CS], 0x0100);
});

test('far CALL whose pushes would leave the stack segment raises #SS before any change (SDM Vol.2 CALL)', () => {
  const m = real(0x0100, 0, [0x9a, 0x00, 0x01, 0x00, 0x20], { ss: 0x3000 });
  m.cpu.lo[Reg.RSP] = 0x0001; // SP - 2 = 0xFFFF: a word there crosses the 64 KiB limit
  stepFaults(m, 12);
  assert.equal(m.cpu.lo[Reg.RSP] & 0xffff, 0x0001);
  assert.equal(m.cpu.segSel[Seg.CS], 0x0100);
});

test('protected-mode far JMP to a null selector raises #GP(0) (SDM Vol.2 JMP Protected Mode Exceptions)', () => {
  const m = flatMachine(32);
  m.load(0, Uint8Array.of(0xff, 0x2b)); // jmp far [ebx]
  m.cpu.lo[Reg.RBX] = 0x100;
  m.exec.stopOnException = true;
  assert.equal(m.step(), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0);
  assert.match(m.exec.lastException?.detail ?? '', /null selector/);
});
