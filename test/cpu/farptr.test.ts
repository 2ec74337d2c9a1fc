// farptr.test.ts: LDS, LES, LSS, LFS, LGS (SDM Vol.2A "LDS/LES/LFS/LGS/LSS"). LFS/LGS with null
// selectors (loadable at CPL 3) run against the host CPU in 32-bit mode; the rest runs in real mode
// (base = selector × 16, SDM Vol.3A §20.1.1) and in flat protected/64-bit mode with expected values
// from the SDM: offset first (operand size), then the 16-bit selector; the register is not written
// when the segment load faults; LSS inhibits interrupts like MOV SS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, rng } from '../support/differential';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { decode, BAD } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { HANDLERS } from '../../emulator/cpu/exec/index';
import { ATTN_SHADOW, CodeSize, Seg } from '../../emulator/cpu/state';

test('LFS/LGS with null selectors, and LSS with a null selector (#GP), match the host CPU (32-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xfa2;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const names: string[] = [];
  const byte = () => Math.floor(next() * 256);
  for (let k = 0; k < caseBudget(400); k++) {
    const op = [0xb4, 0xb5, 0xb2][k % 3]; // LFS, LGS, LSS (SS with a null selector: #GP(0), SDM Vol.2B MOV)
    const o16 = k % 2 === 1;
    const reg = [0, 1, 2, 5, 6, 7][Math.floor(next() * 6)]; // any but EBX (the base) and ESP
    const disp = Math.floor(next() * 120);
    const sel = Math.floor(next() * 4); // null selector with any RPL
    const bytes = new Uint8Array(256);
    for (let b = 0; b < 256; b++) bytes[b] = byte();
    const n = o16 ? 2 : 4;
    bytes[disp + n] = sel;
    bytes[disp + n + 1] = 0;
    // lfs/lgs/lss r, [ebx+disp8]; then mov ebx, fs/gs (8C E3 / 8C EB) so the selector is compared.
    const code = [...(o16 ? [0x66] : []), 0x0f, op, 0x43 | (reg << 3), disp];
    if (op !== 0xb2) code.push(0x8c, op === 0xb4 ? 0xe3 : 0xeb);
    const regs = hostRegs();
    for (const r of [0, 1, 2, 5, 6, 7]) regs[r] = BigInt(Math.floor(next() * 0x100000000));
    regs[3] = BigInt(DATA);
    cases.push({ mode: 32, code: Uint8Array.from(code), regs, rflags: 0, data: { offset: 0, bytes } });
    names.push(`${['lss', '', 'lfs', 'lgs'][op - 0xb2]}${o16 ? ' (o16)' : ''}`);
  }
  const n = differential(cases, { seed, describe: (c, k) => `${names[k]} ${Buffer.from(c.code).toString('hex')}` });
  t.diagnostic(`${n} cases`);
});

const CODE = 0x1000;

function machine(bits: 16 | 32 | 64, code: number[]): Machine {
  const m = flatMachine(bits);
  m.exec.stopOnException = true;
  m.load(CODE, Uint8Array.from(code));
  m.cpu.ripLo = CODE;
  m.stateChanged();
  return m;
}

function run(m: Machine, steps: number): StopReason {
  let r = StopReason.None;
  for (let k = 0; k < steps; k++) {
    r = m.step();
    if (r !== StopReason.Limit && r !== StopReason.None) break;
  }
  return r;
}

test('LES/LDS/LSS/LFS/LGS r16, m16:16 in real mode: offset then selector, base = selector × 16', () => {
  // mov bx, 200h; les ax, [bx]; lds cx, [bx+4]; lss dx, [bx+8] (0F B2 57 08); lfs si, [bx+0Ch]; lgs di, [bx+10h]
  // (LDS last touches DS, so the later loads read through the new DS: place their data there.)
  const m = machine(16, [0xbb, 0x00, 0x02, 0xc4, 0x07, 0xc5, 0x4f, 0x04, 0x0f, 0xb2, 0x57, 0x08,
    0x0f, 0xb4, 0x77, 0x0c, 0x0f, 0xb5, 0x7f, 0x10]);
  m.load(0x200, Uint8Array.from([0x11, 0x11, 0x00, 0x10, 0x22, 0x22, 0x00, 0x20]));
  m.load(0x20208, Uint8Array.from([0x33, 0x33, 0x00, 0x30, 0x44, 0x44, 0x00, 0x40, 0x55, 0x55, 0x00, 0x50]));
  m.cpu.lo[0] = 0xabcd0000; // bits 31:16 of a 16-bit destination are kept
  assert.equal(run(m, 6), StopReason.Limit);
  const cpu = m.cpu;
  assert.equal(cpu.lo[0] >>> 0, 0xabcd1111);
  assert.deepEqual([cpu.segSel[Seg.ES], cpu.segBaseLo[Seg.ES]], [0x1000, 0x10000]);
  assert.equal(cpu.lo[1] & 0xffff, 0x2222);
  assert.deepEqual([cpu.segSel[Seg.DS], cpu.segBaseLo[Seg.DS]], [0x2000, 0x20000]);
  assert.equal(cpu.lo[2] & 0xffff, 0x3333);
  assert.deepEqual([cpu.segSel[Seg.SS], cpu.segBaseLo[Seg.SS]], [0x3000, 0x30000]);
  assert.equal(cpu.lo[6] & 0xffff, 0x4444);
  assert.deepEqual([cpu.segSel[Seg.FS], cpu.segBaseLo[Seg.FS]], [0x4000, 0x40000]);
  assert.equal(cpu.lo[7] & 0xffff, 0x5555);
  assert.deepEqual([cpu.segSel[Seg.GS], cpu.segBaseLo[Seg.GS]], [0x5000, 0x50000]);
  assert.equal(cpu.ripLo, CODE + 20);
});

test('LES/LFS r32, m16:32 in real mode: a 32-bit offset, the selector after it', () => {
  // 66 C4 06 00 03: les eax, [300h]; 66 0F B4 0E 10 03: lfs ecx, [310h]
  const m = machine(16, [0x66, 0xc4, 0x06, 0x00, 0x03, 0x66, 0x0f, 0xb4, 0x0e, 0x10, 0x03]);
  m.load(0x300, Uint8Array.from([0x78, 0x56, 0x34, 0x12, 0x34, 0x12]));
  m.load(0x310, Uint8Array.from([0xef, 0xcd, 0xab, 0x89, 0xff, 0xff]));
  run(m, 2);
  assert.equal(m.cpu.lo[0] >>> 0, 0x12345678);
  assert.deepEqual([m.cpu.segSel[Seg.ES], m.cpu.segBaseLo[Seg.ES]], [0x1234, 0x12340]);
  assert.equal(m.cpu.lo[1] >>> 0, 0x89abcdef);
  assert.deepEqual([m.cpu.segSel[Seg.FS], m.cpu.segBaseLo[Seg.FS]], [0xffff, 0xffff0]);
});

test('LDS/LES with the pointer crossing the real-mode limit raise #GP(0) and change nothing', () => {
  // lds ax, [0FFFEh]: the 4-byte pointer ends beyond DS.limit FFFFh (SDM Vol.3A §5.3; LDS "Real-Address
  // Mode Exceptions": #GP if a memory operand effective address is outside the segment limit).
  const m = machine(16, [0xc5, 0x06, 0xfe, 0xff]);
  m.cpu.lo[0] = 0x7777;
  assert.equal(run(m, 1), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.cpu.lo[0], 0x7777);
  assert.equal(m.cpu.segSel[Seg.DS], 0);
  assert.equal(m.cpu.ripLo, CODE);
});

test('a faulting segment load leaves the destination register unchanged (protected mode)', () => {
  // lfs eax, [200h] (0F B4 05 disp32) with selector 20h: the flat machine's descriptor table holds zeros
  // there, not a data segment, so #GP(20h) (SDM Vol.2A LFS "Protected Mode Exceptions").
  const m = machine(32, [0x0f, 0xb4, 0x05, 0x00, 0x02, 0x00, 0x00]);
  m.load(0x200, Uint8Array.from([0x44, 0x33, 0x22, 0x11, 0x20, 0x00]));
  m.cpu.lo[0] = 0x5a5a5a5a;
  const fs = m.cpu.segSel[Seg.FS];
  assert.equal(run(m, 1), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0x20);
  assert.equal(m.cpu.lo[0], 0x5a5a5a5a);
  assert.equal(m.cpu.segSel[Seg.FS], fs);
});

test('LFS/LGS r64, m16:64 with REX.W read an 8-byte offset then the selector (64-bit mode)', () => {
  // 48 0F B4 04 25 00 02 00 00: lfs rax, [200h]; 0F B5 0C 25 10 02 00 00: lgs ecx, [210h] (zero-extends)
  const m = machine(64, [0x48, 0x0f, 0xb4, 0x04, 0x25, 0x00, 0x02, 0x00, 0x00, 0x0f, 0xb5, 0x0c, 0x25, 0x10, 0x02, 0x00, 0x00]);
  m.load(0x200, Uint8Array.from([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x03, 0x00]));
  m.load(0x210, Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0x00, 0x00]));
  m.cpu.hi[1] = -1;
  assert.equal(run(m, 2), StopReason.Limit);
  assert.equal(m.cpu.lo[0] >>> 0, 0x55667788);
  assert.equal(m.cpu.hi[0] >>> 0, 0x11223344);
  assert.equal(m.cpu.segSel[Seg.FS], 3); // null selector: loadable into FS/GS
  assert.equal(m.cpu.lo[1] >>> 0, 0x04030201);
  assert.equal(m.cpu.hi[1], 0);
  assert.equal(m.cpu.segSel[Seg.GS], 0);
});

test('LDS/LES are invalid in 64-bit mode and C4/C5 with mod = 11b are VEX in 32-bit mode', () => {
  const features = flatMachine(16).features;
  const at = (bytes: number[], size: CodeSize) => {
    const i = new Insn(() => undefined, BAD);
    decode({ byte: (k) => bytes[k] ?? 0 }, size, 0, 0, features, i);
    return i.form.name;
  };
  assert.equal(at([0xc4, 0x07], CodeSize.Bits16), 'les_r16_m16_16');
  assert.equal(at([0x66, 0xc5, 0x07], CodeSize.Bits32), 'lds_r16_m16_16');
  assert.equal(at([0xc5, 0x07], CodeSize.Bits32), 'lds_r32_m16_32');
  assert.notEqual(at([0xc5, 0x07], CodeSize.Bits64).slice(0, 3), 'lds');
  assert.notEqual(at([0xc4, 0xc0], CodeSize.Bits16).slice(0, 3), 'les'); // memory only
  assert.notEqual(at([0x0f, 0xb2, 0xc0], CodeSize.Bits32).slice(0, 3), 'lss'); // memory only
});

test('LSS sets the one-instruction interrupt shadow and ends the decoded block', () => {
  const m = machine(16, []);
  m.load(0x400, Uint8Array.from([0x00, 0x80, 0x00, 0x20]));
  const bytes = [0x0f, 0xb2, 0x26, 0x00, 0x04]; // lss sp, [400h]
  const i = new Insn(() => undefined, BAD);
  decode({ byte: (k) => bytes[k] ?? 0 }, CodeSize.Bits16, CODE, 0, m.features, i);
  assert.equal(i.form.name, 'lss_r16_m16_16');
  assert.ok(i.form.stop);
  m.cpu.attention = 0;
  HANDLERS[i.form.id](m.cpu, i);
  assert.ok(m.cpu.attention & ATTN_SHADOW);
  assert.equal(m.cpu.lo[4] & 0xffff, 0x8000);
  assert.deepEqual([m.cpu.segSel[Seg.SS], m.cpu.segBaseLo[Seg.SS]], [0x2000, 0x20000]);
});
