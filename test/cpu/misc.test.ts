// misc.test.ts: HLT, CPUID, RDTSC, IN/OUT/INS/OUTS through a fake PortIo, INT n in real mode, CLI/STI,
// UD2, and 16-bit-address string operations — the parts the host CPU cannot check for us (privileged
// or host-specific), with expected values from the SDM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { ATTN_SHADOW, PortIo, Reg, Seg } from '../../emulator/cpu/state';
import { rflags } from '../../emulator/cpu/flags';
import { handlers as miscHandlers } from '../../emulator/cpu/exec/misc';
import { Insn } from '../../emulator/cpu/insn';
import { FORMS } from '../../emulator/isa/table';
import { MAX_ITER } from '../../emulator/cpu/exec/string';
import { CpuFeatures } from '../../emulator/cpu/features';

const ORG = 0x7c00;

function machine(bits: 16 | 32 | 64, code: number[]): Machine {
  const m = flatMachine(bits);
  m.load(ORG, Uint8Array.from(code));
  m.cpu.ripLo = ORG;
  m.cpu.lo[Reg.RSP] = 0x8000;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

function regStr(m: Machine, r: number): string {
  return (m.cpu.lo[r] >>> 0).toString(16);
}

test('HLT stops the run with StopReason.Halt and leaves RIP after it', () => {
  const m = machine(16, [0x90, 0xf4, 0x90]);
  assert.equal(m.run({ maxInstructions: 100 }), StopReason.Halt);
  assert.equal(m.cpu.halted, true);
  assert.equal(m.cpu.ripLo, ORG + 2);
});

test('HLT at CPL 3 raises #GP(0)', () => {
  const m = machine(32, [0xf4]);
  m.cpu.segSel[Seg.CS] = 0x13;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
});

function cpuid(m: Machine, leaf: number, subleaf = 0): number[] {
  m.cpu.ripLo = ORG;
  m.cpu.lo[Reg.RAX] = leaf;
  m.cpu.lo[Reg.RCX] = subleaf;
  m.stateChanged();
  m.step();
  return [Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX].map((r) => m.cpu.lo[r] >>> 0);
}

function ascii(words: number[]): string {
  return words.map((w) => String.fromCharCode(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24)).join('');
}

test('CPUID leaves follow the SDM layout (Vol.2A CPUID, Table 3-8)', () => {
  const m = machine(64, [0x0f, 0xa2]);
  const [max, b, c, d] = cpuid(m, 0);
  assert.equal(max, 0x1f);
  assert.equal(ascii([b, d, c]), 'GenuineIntel'); // vendor in EBX, EDX, ECX
  const l1 = cpuid(m, 1);
  assert.equal((l1[0] >> 8) & 0xf, 6, 'family');
  assert.equal((l1[1] >> 8) & 0xff, 8, 'CLFLUSH line size in 8-byte units');
  assert.equal(l1[1] >>> 24, 0, 'initial APIC ID');
  assert.equal(l1[3], m.features.bits(1, 0, 3) >>> 0);
  assert.equal(l1[2], m.features.bits(1, 0, 2) >>> 0);
  const l7 = cpuid(m, 7, 0);
  assert.equal(l7[1], m.features.bits(7, 0, 1) >>> 0);
  assert.ok(l7[2] & (1 << 16), 'LA57 in CPUID.7.0:ECX[16]');
  const top = cpuid(m, 0xb, 0);
  assert.deepEqual([top[1], (top[2] >> 8) & 0xff, top[3]], [1, 1, 0], 'one thread at the SMT level, x2APIC ID 0');
  assert.equal(cpuid(m, 0x80000000)[0], 0x80000008);
  const e1 = cpuid(m, 0x80000001);
  assert.ok(e1[3] & (1 << 29), 'LM');
  const brand = ascii([...cpuid(m, 0x80000002), ...cpuid(m, 0x80000003), ...cpuid(m, 0x80000004)]).replace(/\0+$/, '');
  assert.equal(brand, 'Trampoline x86-64 virtual CPU');
  assert.equal(cpuid(m, 0x80000008)[0], 52 | (57 << 8));
  // Above the highest leaf: the highest basic leaf's data (SDM CPUID, "If a value entered … is higher").
  assert.deepEqual(cpuid(m, 0x40000000, 0), cpuid(m, 0x1f, 0));
  // 64-bit mode: CPUID clears bits 63:32 of RAX, RBX, RCX, RDX.
  assert.equal(m.cpu.hi[Reg.RBX], 0);
  const no57 = machine(64, [0x0f, 0xa2]);
  no57.cpu.features = new CpuFeatures(['lm']);
  assert.equal(cpuid(no57, 0x80000008)[0], 52 | (48 << 8));
  assert.equal(cpuid(no57, 7, 0)[2] & (1 << 16), 0);
});

test('RDTSC is virtual time: monotonic and the same in identical runs', () => {
  // rdtsc; mov ebx, eax; nop×3; rdtsc; hlt — in a loop-free program.
  const code = [0x0f, 0x31, 0x89, 0xc3, 0x90, 0x90, 0xeb, 0x00, 0x0f, 0x31, 0xf4];
  const values: number[][] = [];
  for (let run = 0; run < 2; run++) {
    const m = machine(32, code);
    assert.equal(m.run({ maxInstructions: 100 }), StopReason.Halt);
    values.push([m.cpu.lo[Reg.RBX] >>> 0, m.cpu.lo[Reg.RAX] >>> 0, m.cpu.lo[Reg.RDX] >>> 0]);
  }
  assert.deepEqual(values[0], values[1]);
  assert.ok(values[0][1] > values[0][0], `second reading ${values[0][1]} after first ${values[0][0]}`);
  assert.equal(values[0][2], 0);
});

class FakePorts implements PortIo {
  log: string[] = [];
  next = 0x11223344;
  in(port: number, size: number): number {
    this.log.push(`in ${port.toString(16)}/${size}`);
    const v = size === 4 ? this.next >>> 0 : this.next & ((1 << (size * 8)) - 1);
    this.next = (this.next + 0x01010101) | 0;
    return v;
  }
  out(port: number, size: number, value: number): void {
    this.log.push(`out ${port.toString(16)}/${size}=${value.toString(16)}`);
  }
}

test('IN and OUT go through cpu.io with the port from imm8 or DX', () => {
  // in al,0x60; mov dx,0x3f8; out dx,al; in eax,dx (66 in 16-bit code); out 0x80,ax; hlt
  const m = machine(16, [0xe4, 0x60, 0xba, 0xf8, 0x03, 0xee, 0x66, 0xed, 0xe7, 0x80, 0xf4]);
  const io = new FakePorts();
  m.io = io;
  assert.equal(m.run({ maxInstructions: 100 }), StopReason.Halt);
  assert.deepEqual(io.log, ['in 60/1', 'out 3f8/1=44', 'in 3f8/4', 'out 80/2=3445']);
  assert.equal(regStr(m, Reg.RAX), '12233445');
});

test('REP INSB and REP OUTSW move data between ports and ES:DI / DS:SI', () => {
  // mov dx,0x1f0; mov cx,3; mov di,0x9000; rep insb; mov si,0x9000; mov cx,1; rep outsw; hlt
  const m = machine(16, [0xba, 0xf0, 0x01, 0xb9, 0x03, 0x00, 0xbf, 0x00, 0x90, 0xf3, 0x6c,
    0xbe, 0x00, 0x90, 0xb9, 0x01, 0x00, 0xf3, 0x6f, 0xf4]);
  const io = new FakePorts();
  m.io = io;
  assert.equal(m.run({ maxInstructions: 100 }), StopReason.Halt);
  assert.deepEqual([...m.phys.readBytes(0x9000, 3)], [0x44, 0x45, 0x46]);
  assert.deepEqual(io.log, ['in 1f0/1', 'in 1f0/1', 'in 1f0/1', 'out 1f0/2=4544']);
  assert.equal(regStr(m, Reg.RDI), '9003');
  assert.equal(regStr(m, Reg.RSI), '9002');
});

/**
 * Ring 3 with IOPL 0 and TR on a 32-bit TSS at 0x3000 whose I/O permission bit map starts at offset 0x68
 * (SDM Vol.1 §19.5.2: map base at TSS byte 102) and covers ports up to 0x7F: ports 0x60-0x67 have bits
 * `bits60`, the rest 1s. The TSS limit ends with the map (0x68 + 15).
 */
function ring3Io(code: number[], bits60: number, tssType = 0xb): Machine {
  const m = machine(32, code);
  m.cpu.segSel[Seg.CS] = 0x13;
  m.cpu.segBaseLo[Seg.TR] = 0x3000;
  m.cpu.segLimit[Seg.TR] = 0x68 + 15;
  m.cpu.segAttr[Seg.TR] = 0x80 | tssType;
  const map = new Uint8Array(16).fill(0xff);
  map[0x60 >> 3] = bits60;
  m.phys.writeBytes(0x3000 + 102, Uint8Array.from([0x68, 0]));
  m.phys.writeBytes(0x3068, map);
  m.stateChanged();
  m.io = new FakePorts();
  return m;
}

test('IN at CPL 3 with IOPL 0 and the port\'s bit set in the I/O permission bit map raises #GP(0) (SDM Vol.1 §19.5.2)', () => {
  const m = ring3Io([0xe4, 0x60], 0x01);
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0);
});

test('IN/OUT at CPL 3 with IOPL 0 run when every bit of the ports they touch is 0 (SDM Vol.1 §19.5.2)', () => {
  // in al,0x62; in eax,0x64 (0x64-0x67); out 0x61,al; hlt (#GP at CPL 3: the run stops there)
  const m = ring3Io([0xe4, 0x62, 0xe5, 0x64, 0xe6, 0x61, 0xf4], 0x01);
  const io = new FakePorts();
  m.io = io;
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.deepEqual(io.log, ['in 62/1', 'in 64/4', 'out 61/1=45']);
  assert.equal(m.cpu.ripLo, ORG + 6, 'HLT faulted, not an I/O instruction');
});

test('A dword IN whose last port\'s bit is 1 raises #GP(0); so does a 16-bit TSS, which has no map (SDM Vol.1 §19.5.2)', () => {
  const m = ring3Io([0xe5, 0x64], 0x7f); // ports 0x64-0x67: 0x67's bit is 1 (bit 7 of 0x7f is 0, 0x66's is 1)
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  const t = ring3Io([0xe4, 0x62], 0x00, 0x3);
  assert.equal(t.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(t.exec.lastException?.vector, 13);
});

test('INT n in real mode pushes FLAGS, CS, IP of the next instruction and loads CS:IP from the IVT (SDM Vol.3A §21.1.4)', () => {
  // At 0000:7C00: sti; int 0x21. Vector 0x21 → 1234:0010, where hlt waits.
  const m = machine(16, [0xfb, 0xcd, 0x21]);
  m.phys.writeBytes(0x21 * 4, Uint8Array.from([0x10, 0x00, 0x34, 0x12]));
  m.phys.writeBytes(0x12340 + 0x10, Uint8Array.from([0xf4]));
  m.mem.flush();
  m.cpu.flags |= 0x1; // CF, to see it pushed
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Halt);
  const cpu = m.cpu;
  assert.equal(cpu.segSel[Seg.CS], 0x1234);
  assert.equal(cpu.ripLo, 0x11);
  assert.equal(cpu.lo[Reg.RSP] & 0xffff, 0x8000 - 6);
  const stack = m.phys.readBytes(0x8000 - 6, 6);
  const word = (k: number) => stack[k] | (stack[k + 1] << 8);
  assert.equal(word(0), ORG + 3, 'IP of the instruction after INT');
  assert.equal(word(2), 0, 'CS');
  assert.equal(word(4) & 0x203, 0x203, 'FLAGS with IF (from STI) and CF');
  assert.equal(rflags(cpu) & 0x300, 0, 'IF and TF cleared');
});

test('INT3 and INTO (OF set) deliver vectors 3 and 4 as traps', () => {
  for (const [code, vector] of [[[0xcc], 3], [[0xb0, 0x7f, 0x04, 0x01, 0xce], 4]] as const) {
    const m = machine(16, [...code]);
    m.phys.writeBytes(vector * 4, Uint8Array.from([0x00, 0x00, 0x00, 0x10]));
    m.phys.writeBytes(0x10000, Uint8Array.from([0xf4]));
    m.mem.flush();
    assert.equal(m.run({ maxInstructions: 10 }), StopReason.Halt);
    const ip = m.phys.readBytes(0x8000 - 6, 2);
    assert.equal(ip[0] | (ip[1] << 8), ORG + code.length);
  }
});

test('UD2 raises #UD at the instruction', () => {
  const m = machine(64, [0x0f, 0x0b]);
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 6);
  assert.equal(m.exec.lastException?.ripLo, ORG);
});

test('CLI/STI: STI sets the interrupt shadow; CPL 3 with IOPL 0 raises #GP(0)', () => {
  const m = machine(16, [0xfa, 0xfb]);
  m.step();
  assert.equal(m.cpu.flags & 0x200, 0);
  // STI with IF = 0 opens the one-instruction shadow (SDM Vol.2 STI); called directly to see the bit.
  m.cpu.attention = 0;
  miscHandlers.sti(m.cpu, new Insn(miscHandlers.sti, FORMS.find((f) => f.name === 'sti')!));
  assert.equal(m.cpu.flags & 0x200, 0x200);
  assert.equal(m.cpu.attention & ATTN_SHADOW, ATTN_SHADOW);
  m.cpu.attention = 0;
  miscHandlers.sti(m.cpu, new Insn(miscHandlers.sti, FORMS.find((f) => f.name === 'sti')!));
  assert.equal(m.cpu.attention & ATTN_SHADOW, 0, 'no new shadow when IF was already 1');
  const m3 = machine(32, [0xfb]);
  m3.cpu.segSel[Seg.CS] = 0x13;
  m3.stateChanged();
  assert.equal(m3.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m3.exec.lastException?.vector, 13);
});

test('16-bit address size: REP MOVSB wraps SI/DI at 64 KiB and keeps the upper bits', () => {
  // mov cx,4; rep movsb (SI=0xFFFE, DI=0x1000); hlt
  const m = machine(16, [0xb9, 0x04, 0x00, 0xf3, 0xa4, 0xf4]);
  m.phys.writeBytes(0xfffe, Uint8Array.from([1, 2]));
  m.phys.writeBytes(0, Uint8Array.from([3, 4]));
  m.mem.flush();
  m.cpu.lo[Reg.RSI] = 0x1230fffe;
  m.cpu.lo[Reg.RDI] = 0x1000;
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Halt);
  assert.deepEqual([...m.phys.readBytes(0x1000, 4)], [1, 2, 3, 4]);
  assert.equal(regStr(m, Reg.RSI), '12300002');
  assert.equal(regStr(m, Reg.RCX), '0');
});

test('a long REP STOSQ yields to the run loop and resumes where it left off', () => {
  // mov ecx, 0x40000; rep stosq; hlt (64-bit mode, 2 MiB from 0x100000)
  const m = machine(64, [0xb9, 0x00, 0x00, 0x04, 0x00, 0xf3, 0x48, 0xab, 0xf4]);
  m.cpu.lo[Reg.RDI] = 0x100000;
  m.cpu.lo[Reg.RAX] = 0x01020304;
  m.cpu.hi[Reg.RAX] = 0x05060708;
  assert.equal(m.run({ maxInstructions: 2 }), StopReason.Limit);
  // One slice ran: the count went down by MAX_ITER and RIP is back on the REP instruction.
  assert.equal(m.cpu.lo[Reg.RCX], 0x40000 - MAX_ITER);
  assert.equal(m.cpu.ripLo, ORG + 5);
  const start = Date.now();
  assert.equal(m.run({ maxInstructions: 1000 }), StopReason.Halt);
  assert.equal(m.cpu.lo[Reg.RCX], 0);
  assert.equal(m.cpu.lo[Reg.RDI], 0x100000 + 0x40000 * 8);
  const tail = m.phys.readBytes(0x100000 + 0x40000 * 8 - 8, 8);
  assert.deepEqual([...tail], [4, 3, 2, 1, 8, 7, 6, 5]);
  assert.ok(Date.now() - start < 2000, 'fast path');
});

test('a REP MOVSB that faults part way leaves the completed iterations in ESI/EDI/ECX (SDM Vol.1 §7.3.9.1)', () => {
  // mov ecx, 10; rep movsb with ES limited to 0x1003: four bytes fit, the fifth raises #GP(0).
  const m = machine(32, [0xb9, 0x0a, 0x00, 0x00, 0x00, 0xf3, 0xa4]);
  m.cpu.segLimit[Seg.ES] = 0x1003;
  m.phys.writeBytes(0x2000, Uint8Array.from([1, 2, 3, 4, 5, 6]));
  m.mem.flush();
  m.cpu.lo[Reg.RSI] = 0x2000;
  m.cpu.lo[Reg.RDI] = 0x1000;
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.ripLo, ORG + 5, 'RIP at the REP MOVSB');
  assert.deepEqual([regStr(m, Reg.RCX), regStr(m, Reg.RSI), regStr(m, Reg.RDI)], ['6', '2004', '1004']);
  assert.deepEqual([...m.phys.readBytes(0x1000, 5)], [1, 2, 3, 4, 0]);
});

test('16-bit address size: REPNE SCASB stops at the match, REPE CMPSW at the first difference', () => {
  // mov cx,9; repne scasb (AL=7, ES:DI=0x3000) ; hlt
  const m = machine(16, [0xb9, 0x09, 0x00, 0xf2, 0xae, 0xf4]);
  m.phys.writeBytes(0x3000, Uint8Array.from([1, 2, 7, 4]));
  m.mem.flush();
  m.cpu.lo[Reg.RAX] = 7;
  m.cpu.lo[Reg.RDI] = 0x3000;
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Halt);
  assert.deepEqual([regStr(m, Reg.RCX), regStr(m, Reg.RDI)], ['6', '3003']);
  assert.equal(rflags(m.cpu) & 0x40, 0x40, 'ZF: found');
  // mov cx,4; repe cmpsw (DS:SI=0x4000, ES:DI=0x5000, second words differ); hlt
  const c = machine(16, [0xb9, 0x04, 0x00, 0xf3, 0xa7, 0xf4]);
  c.phys.writeBytes(0x4000, Uint8Array.from([1, 0, 2, 0, 3, 0]));
  c.phys.writeBytes(0x5000, Uint8Array.from([1, 0, 3, 0, 3, 0]));
  c.mem.flush();
  c.cpu.lo[Reg.RSI] = 0x4000;
  c.cpu.lo[Reg.RDI] = 0x5000;
  assert.equal(c.run({ maxInstructions: 10 }), StopReason.Halt);
  assert.deepEqual([regStr(c, Reg.RCX), regStr(c, Reg.RSI), regStr(c, Reg.RDI)], ['2', '4004', '5004']);
  assert.equal(rflags(c.cpu) & 0x41, 0x01, 'ZF clear, CF set: 2 − 3 borrows');
});
