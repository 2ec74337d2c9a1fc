// stack.diff.test.ts: PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE against the host CPU, and the
// privileged POPF/POP Sreg cases the user-mode host cannot show, checked against the SDM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMS, formByName } from '../../emulator/isa/table';
import { Form, Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { flatMachine } from '../support/flat';
import { rflags } from '../../emulator/cpu/flags';
import { Reg, Seg } from '../../emulator/cpu/state';
import { DATA, HostCase, STACK_TOP, caseBudget, differential, hostCpuAvailable, hostRegs, randomValue, rng } from '../support/differential';

const STACK_WINDOW = 0x1000;
/** RSP for the cases: the window holds random bytes above and below it. */
const SP = STACK_TOP - 0x800;

function form(name: string): Form {
  const f = formByName(name);
  assert.ok(f, name);
  return f;
}

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k++) b[k] = Math.floor(next() * 256);
  return b;
}

const PLAIN = /^(push_(r|rm|imm)|pop_(r|rm)\d|pushf|enter|leave|pusha|popa)/;

/** Generic push/pop/ENTER/LEAVE cases for every form of the mode. */
function genericCases(mode: 64 | 32, seed: number, budget: number): { cases: HostCase[]; names: string[] } {
  const next = rng(seed);
  const forms = FORMS.filter((f) => PLAIN.test(f.name) && (mode === 64 ? !f.i64 : f.opSize !== 64));
  const per = Math.max(8, Math.ceil(budget / forms.length));
  const cases: HostCase[] = [];
  const names: string[] = [];
  const nregs = mode === 64 ? 16 : 8;
  for (const f of forms) {
    const hasMem = f.operands.some((o) => o.loc === Loc.Rm);
    for (let n = 0; n < per; n++) {
      const regs = hostRegs();
      for (let r = 0; r < nregs; r++) if (r !== 4) regs[r] = randomValue(next);
      regs[4] = BigInt(SP);
      // RBP inside the window for ENTER (frame copies) and LEAVE (new stack pointer).
      if (/^(enter|leave)/.test(f.name) || next() < 0.2) regs[5] = BigInt(STACK_TOP - 0x10 - 4 * Math.floor(next() * 0x100));
      if (mode === 32) for (let r = 0; r < 8; r++) regs[r] &= 0xffffffffn;
      // Register operand: any register, RSP included (PUSH RSP pushes the old value, POP RSP keeps the popped one).
      const rm = Math.floor(next() * nregs);
      const useMem = hasMem && n % 2 === 1;
      // Memory operand: based on RBX (DATA) or on RSP (PUSH: the old RSP; POP: the incremented RSP).
      const rspBase = next() < 0.4;
      if (!rspBase) regs[3] = BigInt(DATA + 0x40);
      const mem = rspBase ? { base: 4, disp: Math.floor(next() * 8) * 4 - 8 } : { base: 3, disp: Math.floor(next() * 16) * 4 - 0x20 };
      let imms: number[];
      if (f.name.startsWith('enter')) {
        // Allocation size: any 16-bit value; nesting level 0…31, plus values ≥ 32 (taken modulo 32).
        const level = n < 32 ? n : Math.floor(next() * 256);
        // The host maps only the 64 KiB STACK area, and a write at the final stack pointer must not
        // fault (SDM Vol.2A ENTER #PF), so the frame stays inside it: below 0xF000 bytes in all.
        imms = [next() < 0.5 ? Math.floor(next() * 0x40) : Math.floor(next() * 0xe000), level];
      } else {
        imms = [Number(BigInt.asIntN(32, randomValue(next)))];
      }
      const code = encode(f, mode, { rm: useMem ? -1 : rm, opReg: rm, mem, imms });
      cases.push({
        mode, code, regs, rflags: Math.floor(next() * 0x1000) & 0xcd5,
        data: { offset: 0, bytes: randomBytes(next, 256) }, stack: randomBytes(next, STACK_WINDOW),
      });
      names.push(`${f.name} rm=${useMem ? JSON.stringify(mem) : rm} imms=${imms.join(',')}`);
    }
  }
  return { cases, names };
}

test('PUSH, POP, PUSHF, ENTER, LEAVE match the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x5a64;
  const { cases, names } = genericCases(64, seed, caseBudget(2000));
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases`);
});

test('PUSH, POP, PUSHA, POPA, PUSHF, ENTER, LEAVE match the host CPU (32-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x5a32;
  const { cases, names } = genericCases(32, seed, caseBudget(2000));
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases`);
});

// Segment registers: the host's selectors (CS 0x23/0x33, data 0x2B) differ from the flat machine's,
// so the cases push a segment register and then overwrite the selector's 16 bits with a constant: the
// rest of the slot shows how wide the processor's write was, ESP how far it moved.
const MOV_WORD_ESP_1234 = [0x66, 0xc7, 0x04, 0x24, 0x34, 0x12];

test('PUSH Sreg and POP ES/FS/GS match the host CPU', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x5e6;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const names: string[] = [];
  const per = Math.max(4, Math.ceil(caseBudget(300) / 30));
  for (const mode of [32, 64] as const) {
    for (const f of FORMS.filter((g) => /^push_(es|cs|ss|ds|fs|gs)_/.test(g.name))) {
      if (mode === 64 ? f.i64 : f.opSize === 64) continue;
      for (let n = 0; n < per; n++) {
        const code = cat(encode(f, mode), MOV_WORD_ESP_1234, mode === 64 ? [0x48, 0x8b, 0x04, 0x24] : [0x8b, 0x04, 0x24]);
        cases.push({ mode, code, regs: hostRegs({ rsp: SP }), rflags: 0, stack: randomBytes(next, STACK_WINDOW) });
        names.push(`${f.name}; mov word [rsp], 0x1234; mov rax, [rsp]`);
      }
    }
    // POP ES/FS/GS of a null selector (allowed for data segments, SDM Vol.2B POP), then PUSH it back:
    // both processors then see selector 0.
    for (const seg of mode === 64 ? ['fs', 'gs'] : ['es', 'fs', 'gs']) {
      for (const size of mode === 64 ? [16, 64] : [16, 32]) {
        const pop = encode(form(`pop_${seg}_${size}`), mode);
        const push = encode(form(`push_${seg}_${size}`), mode);
        const code = cat(size === 16 ? [0x66, 0x6a, 0x00] : [0x6a, 0x00], pop, push, size === 16 ? [0x66, 0x58] : [0x58]);
        for (let n = 0; n < 4; n++) {
          cases.push({ mode, code, regs: hostRegs({ rsp: SP, rax: randomValue(next) & 0xffffffffn }), rflags: 0, stack: randomBytes(next, STACK_WINDOW) });
          names.push(`push 0; pop_${seg}_${size}; push_${seg}_${size}; pop ax/eax/rax`);
        }
      }
    }
  }
  // POP SS of a null selector: #GP(0) outside 64-bit mode (SDM Vol.2B POP, Protected Mode Exceptions).
  cases.push({ mode: 32, code: cat([0x6a, 0x00], encode(form('pop_ss_32'), 32)), regs: hostRegs(), rflags: 0 });
  names.push('push 0; pop ss');
  // PUSH ES in 64-bit mode: #UD (SDM Vol.2B PUSH, 64-Bit Mode Exceptions).
  cases.push({ mode: 64, code: Uint8Array.from([0x06]), regs: hostRegs(), rflags: 0 });
  names.push('push es (64-bit mode)');
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases`);
});

/**
 * POPF of random images. The flat machine runs at CPL 0 and the host at CPL 3 with IOPL 0, so the
 * images keep IF = 1 and IOPL = 0, which both privilege levels leave as they are; TF = 0 so no
 * single-step trap follows. Every other bit is random (VM, RF, VIF, VIP, reserved bits and the upper
 * half included: POPF leaves those unchanged). PUSHF; POP RAX shows the result, then the flags are
 * reset (AC off: the host's kernel enables alignment checking in user mode).
 */
test('POPF/POPFD/POPFQ match the host CPU', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xf1a9;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const names: string[] = [];
  const per = Math.max(16, Math.ceil(caseBudget(1200) / 5));
  const variants: [64 | 32, string, string][] = [[64, 'popfq', 'pushfq'], [64, 'popf', 'pushf'], [32, 'popfd', 'pushfd'], [32, 'popf', 'pushf']];
  for (const [mode, popName, pushName] of variants) {
    for (let n = 0; n < per; n++) {
      const image = ((randomValue(next) | 0x200n) & ~0x3100n) & (popName === 'popfq' ? 0xffffffffffffffffn : 0xffffffffn);
      const regs = hostRegs({ rsp: SP, rax: randomValue(next) & (mode === 32 ? 0xffffffffn : 0xffffffffffffffffn) });
      const stack = randomBytes(next, STACK_WINDOW);
      // The image sits at RSP.
      const view = new DataView(stack.buffer);
      view.setBigUint64(STACK_WINDOW - (STACK_TOP - SP), image, true);
      const restore = mode === 64 ? [0x68, 0x02, 0x02, 0x00, 0x00, 0x9d] : [0x68, 0x02, 0x02, 0x00, 0x00, 0x9d];
      const code = cat(encode(form(popName), mode), encode(form(pushName), mode),
        pushName === 'pushf' ? [0x66, 0x58] : [0x58], restore);
      cases.push({ mode, code, regs, rflags: Math.floor(next() * 0x1000) & 0xcd5, stack });
      names.push(`${popName} of 0x${image.toString(16)}; ${pushName}; pop rax`);
    }
  }
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases`);
});

// Emulator-only checks of what a user-mode host cannot run, with the expected values from the SDM.

/** Runs `code` at 0x1000 in a flat machine of `bits`, after `setup`, until it has executed `steps` instructions. */
function runFlat(bits: 16 | 32 | 64, code: number[], setup: (m: ReturnType<typeof flatMachine>) => void, steps = 1) {
  const m = flatMachine(bits, 4 * 1024 * 1024);
  m.load(0x1000, Uint8Array.from(code));
  m.cpu.ripLo = 0x1000;
  m.cpu.lo[Reg.RSP] = 0x8000;
  setup(m);
  m.stateChanged();
  m.exec.stopOnException = true;
  for (let k = 0; k < steps; k++) m.step();
  return m;
}

test('POPF at CPL 0 and CPL 3 follows SDM Vol.2B POPF Operation', () => {
  // CPL 0 (flat machine: CS RPL 0), 32-bit operand: IF, IOPL, NT, AC, ID and the status flags load;
  // VM, VIF, VIP keep their values; RF is cleared.
  let m = runFlat(32, [0x9d], (mm) => { mm.load(0x8000, Uint8Array.from([0xd5, 0x7f, 0x3f, 0x00])); mm.cpu.flags = 0x2 | (1 << 16); });
  assert.equal(rflags(m.cpu) >>> 0, 0x247fd7 >>> 0, 'CPL 0 POPFD of 0x3F7FD5');
  // CPL 3, IOPL 0: IF and IOPL unchanged (SDM: "IF, IOPL, VIP, VIF, VM, and all reserved bits are unaffected").
  m = runFlat(32, [0x9d], (mm) => {
    mm.load(0x8000, Uint8Array.from([0xd5, 0x3e, 0x00, 0x00]));
    mm.cpu.segSel[Seg.CS] = 0x13;
    mm.cpu.flags = 0x2;
  });
  assert.equal(rflags(m.cpu) >>> 0, 0x0cd7, 'CPL 3 POPFD: IF and IOPL stay 0');
  // CPL 3 with IOPL 3: IF loads, IOPL does not.
  m = runFlat(32, [0x9d], (mm) => {
    mm.load(0x8000, Uint8Array.from([0x00, 0x02, 0x00, 0x00]));
    mm.cpu.segSel[Seg.CS] = 0x13;
    mm.cpu.flags = 0x3002;
  });
  assert.equal(rflags(m.cpu) >>> 0, 0x3202, 'CPL 3, IOPL 3 POPFD: IF loads');
  // Real mode, 16-bit POPF: bits 15:0 all load (IOPL, NT included).
  m = runFlat(16, [0x9d], (mm) => { mm.load(0x8000, Uint8Array.from([0xff, 0xff])); mm.cpu.flags = 0x2; });
  assert.equal(rflags(m.cpu) >>> 0, 0x7fd7, 'real-mode POPF of 0xFFFF');
  // 64-bit mode at CPL 0: POPFQ of all ones keeps VM/VIF/VIP, clears RF.
  m = runFlat(64, [0x9d], (mm) => { mm.load(0x8000, new Uint8Array(8).fill(0xff)); mm.cpu.flags = 0x2; });
  assert.equal(rflags(m.cpu) >>> 0, 0x247fd7, '64-bit POPFQ of all ones');
});

test('POP SS and POP DS load through the descriptor checks (emulator, SDM Vol.2B POP)', () => {
  // A GDT at 0x100 with a flat writable data segment at index 3 (selector 0x18).
  const gdt = new Uint8Array(32);
  gdt.set([0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00], 24);
  const setup = (mm: ReturnType<typeof flatMachine>) => {
    mm.load(0x100, gdt);
    mm.cpu.gdtrBaseLo = 0x100;
    mm.cpu.gdtrLimit = 31;
    mm.load(0x8000, Uint8Array.from([0x18, 0, 0, 0]));
  };
  let m = runFlat(32, [0x17], setup);
  assert.equal(m.cpu.segSel[Seg.SS], 0x18);
  assert.equal(m.cpu.lo[Reg.RSP], 0x8004);
  m = runFlat(32, [0x1f], setup);
  assert.equal(m.cpu.segSel[Seg.DS], 0x18);
  assert.equal(m.cpu.lo[Reg.RSP], 0x8004);
  // 16-bit operand size: 2 bytes.
  m = runFlat(32, [0x66, 0x07], setup);
  assert.equal(m.cpu.segSel[Seg.ES], 0x18);
  assert.equal(m.cpu.lo[Reg.RSP], 0x8002);
});

test('16-bit ENTER/LEAVE in real mode (emulator, SDM Vol.2A ENTER)', () => {
  // ENTER 4, 2 with SP = 0x8000, BP = 0x7ff0, [0x7fee] = 0xbeef:
  // push BP → [0x7ffe] = 0x7ff0; FrameTemp = 0x7ffe; copy [BP−2] → [0x7ffc] = 0xbeef; push FrameTemp →
  // [0x7ffa] = 0x7ffe; BP = 0x7ffe; SP = 0x7ffa − 4 = 0x7ff6.
  const m = runFlat(16, [0xc8, 0x04, 0x00, 0x02, 0xc9], (mm) => {
    mm.cpu.lo[Reg.RBP] = 0x7ff0;
    mm.load(0x7fee, Uint8Array.from([0xef, 0xbe]));
  });
  assert.equal(m.cpu.lo[Reg.RBP], 0x7ffe);
  assert.equal(m.cpu.lo[Reg.RSP], 0x7ff6);
  assert.deepEqual([...m.phys.readBytes(0x7ffa, 6)], [0xfe, 0x7f, 0xef, 0xbe, 0xf0, 0x7f]);
  m.step(); // LEAVE: SP = BP + 2, BP = [0x7ffe]
  assert.equal(m.cpu.lo[Reg.RBP], 0x7ff0);
  assert.equal(m.cpu.lo[Reg.RSP], 0x8000);
});
