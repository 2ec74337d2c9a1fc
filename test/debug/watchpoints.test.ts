// watchpoints.test.ts: data breakpoints (emulator/debug/watchpoints.ts) against the x86 debug-register
// semantics they copy: a data breakpoint is a trap — reported after the accessing instruction completes,
// with its write already in memory and RIP at the next instruction (SDM Vol.3B §17.3.1.2, "Data Memory
// and I/O Breakpoint Exception Conditions"; §17.2.4: R/W = 01b break on writes, 11b on reads or writes);
// page-walk accesses are not data accesses of the instruction (SDM Vol.3A §4.8 sets A/D bits as part of
// translation). Expected addresses are the assembler's labels, never values read from the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { TRANSLATE_AFTER } from '../../emulator/cpu/translate';
import { guest64, mapAll, page, rip, run, StopReason } from './support';

const DATA = `
  .org 0x2000
data: .quad 0
next: .quad 0
`;

/** Writes `data` at w1, reads it at r1; labels after each. */
const WRITE_THEN_READ = `
start:
  mov $0x12345678, %eax
w1: movl %eax, data
after_w1: movl data, %ebx
after_r1: hlt
${DATA}`;

test('write watch (linear): stops after the writing instruction, value in memory (SDM Vol.3B §17.3.1.2)', () => {
  const g = guest64(WRITE_THEN_READ);
  const id = g.m.watch.add({ space: 'linear', address: g.sym('data'), length: 4, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_w1'));
  assert.equal(g.dword(g.sym('data')), 0x12345678);
  const hit = g.m.exec.lastWatch;
  assert.ok(hit);
  assert.equal(hit.id, id);
  assert.equal(hit.access, 'write');
  assert.equal(hit.ripLo, g.sym('w1'));
  assert.equal(hit.linearLo, g.sym('data'));
  assert.equal(hit.physical, g.sym('data'));
  assert.equal(hit.size, 4);
  assert.equal(g.m.lastStop.reason, StopReason.Watchpoint);
  // The read that follows is not a write: the run goes on to HLT.
  assert.equal(run(g), StopReason.Halt);
  assert.equal(g.m.cpu.lo[Reg.RBX], 0x12345678);
});

test('read watch: only the read stops, after it (RBX already loaded)', () => {
  const g = guest64(WRITE_THEN_READ);
  g.m.watch.add({ space: 'linear', address: g.sym('data'), length: 4, access: 'read' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_r1'));
  assert.equal(g.m.cpu.lo[Reg.RBX], 0x12345678);
  assert.equal(g.m.exec.lastWatch?.access, 'read');
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('after_w1'));
  assert.equal(run(g), StopReason.Halt);
});

test('access watch (physical): stops after the write and after the read', () => {
  const g = guest64(WRITE_THEN_READ);
  g.m.watch.add({ space: 'physical', address: g.sym('data'), length: 4, access: 'access' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_w1'));
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_r1'));
  assert.equal(run(g), StopReason.Halt);
});

test('watch ranges are exact to the byte: overlap hits, adjacent bytes do not', () => {
  const overlap = guest64(WRITE_THEN_READ);
  overlap.m.watch.add({ space: 'linear', address: overlap.sym('data') + 3, length: 1, access: 'write' });
  assert.equal(run(overlap), StopReason.Watchpoint);
  assert.equal(rip(overlap), overlap.sym('after_w1'));
  const adjacent = guest64(WRITE_THEN_READ);
  adjacent.m.watch.add({ space: 'linear', address: adjacent.sym('data') + 4, length: 8, access: 'access' });
  adjacent.m.watch.add({ space: 'physical', address: adjacent.sym('data') - 8, length: 8, access: 'access' });
  assert.equal(run(adjacent), StopReason.Halt);
});

test('bad specs are refused with a message naming the problem', () => {
  const g = guest64('hlt');
  assert.throws(() => g.m.watch.add({ space: 'linear', address: 0x1000, length: 0, access: 'write' }), /length/);
  assert.throws(() => g.m.watch.add({ space: 'physical', address: -1, length: 4, access: 'write' }), /out of range/);
  assert.throws(() => g.m.watch.add({ space: 'linear', address: 0x1000, length: 4, access: 'exec' as 'write' }), /access/);
  // Upper-half linear addresses need a bigint; they are accepted.
  const id = g.m.watch.add({ space: 'linear', address: 0xffff_8000_0000_1000n, length: 8, access: 'write' });
  assert.equal(g.m.watch.remove(id), true);
  assert.equal(g.m.watch.remove(id), false);
});

test('page walks do not trigger: a physical watch on the PTEs whose A/D bits the walks set (SDM Vol.3A §4.8)', () => {
  const g = guest64(WRITE_THEN_READ);
  const { tables, root } = page(g);
  const pteOf = (linear: number): number => tables.map(root, 4, BigInt(linear), BigInt(linear), 7n)[1];
  const dataPte = pteOf(g.sym('data')), codePte = pteOf(g.sym('start'));
  g.m.watch.add({ space: 'physical', address: dataPte, length: 8, access: 'access' });
  g.m.watch.add({ space: 'physical', address: codePte, length: 8, access: 'access' });
  assert.equal(run(g), StopReason.Halt);
  // The walks did write them: A (bit 5) on both, D (bit 6) on the written page.
  assert.equal(tables.get64(dataPte) & 0x60n, 0x60n);
  assert.equal(tables.get64(codePte) & 0x20n, 0x20n);
});

const ALIAS_A = 0x40_0000, ALIAS_B = 0x80_0000, FRAME = 0x30_0000;

test('alias mapping: a linear watch fires only through its own address, a physical one through both', () => {
  const src = `
  mov $1, %eax
wa: movl %eax, ${ALIAS_A + 0x10}
after_a: movl $2, ${ALIAS_B + 0x10}
after_b: hlt
`;
  const lin = guest64(src);
  page(lin, [[ALIAS_A, FRAME], [ALIAS_B, FRAME]]);
  lin.m.watch.add({ space: 'linear', address: ALIAS_B + 0x10, length: 4, access: 'write' });
  assert.equal(run(lin), StopReason.Watchpoint);
  assert.equal(rip(lin), lin.sym('after_b'));
  assert.equal(lin.m.exec.lastWatch?.physical, FRAME + 0x10);
  assert.equal(lin.dword(FRAME + 0x10), 2);
  assert.equal(run(lin), StopReason.Halt);

  const phys = guest64(src);
  page(phys, [[ALIAS_A, FRAME], [ALIAS_B, FRAME]]);
  phys.m.watch.add({ space: 'physical', address: FRAME + 0x10, length: 4, access: 'write' });
  assert.equal(run(phys), StopReason.Watchpoint);
  assert.equal(rip(phys), phys.sym('after_a'));
  assert.equal(phys.m.exec.lastWatch?.linearLo, ALIAS_A + 0x10);
  assert.equal(run(phys), StopReason.Watchpoint);
  assert.equal(rip(phys), phys.sym('after_b'));
  assert.equal(phys.m.exec.lastWatch?.linearLo, ALIAS_B + 0x10);
  assert.equal(run(phys), StopReason.Halt);
});

test('a linear watch follows CR3: the same linear address in two address spaces, both writes hit', () => {
  const g = guest64(`
  movl $1, ${ALIAS_A}
after1: mov %rsi, %cr3
  movl $2, ${ALIAS_A}
after2: hlt
`);
  const { tables } = page(g, [[ALIAS_A, FRAME]]);
  const root2 = tables.alloc();
  mapAll(tables, root2, [[ALIAS_A, FRAME + 0x1000]]);
  g.m.cpu.lo[Reg.RSI] = root2;
  g.m.watch.add({ space: 'linear', address: ALIAS_A, length: 4, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after1'));
  assert.equal(g.m.exec.lastWatch?.physical, FRAME);
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after2'));
  assert.equal(g.m.exec.lastWatch?.physical, FRAME + 0x1000);
  assert.equal(g.dword(FRAME + 0x1000), 2);
  assert.equal(run(g), StopReason.Halt);
});

const LOOP = `
  xor %ecx, %ecx
  mov $0x20000, %edi
top:
store: movl %ecx, (%rdi,%rcx,4)
after_store: inc %ecx
  cmp $100, %ecx
  jne top
  hlt
`;

test('a hot (translated) loop stops at the exact iteration; removing the watch lets it finish', () => {
  const hitAt = 60;
  assert.ok(hitAt > TRANSLATE_AFTER + 2, 'the loop block must be translated before the hit');
  const g = guest64(LOOP);
  const id = g.m.watch.add({ space: 'linear', address: 0x20000 + 4 * hitAt, length: 4, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_store'));
  assert.equal(g.m.cpu.lo[Reg.RCX], hitAt);
  assert.equal(g.dword(0x20000 + 4 * hitAt), hitAt);
  assert.equal(g.dword(0x20000 + 4 * (hitAt + 1)), 0);
  g.m.watch.remove(id);
  assert.equal(run(g), StopReason.Halt);
  assert.equal(g.m.cpu.lo[Reg.RCX], 100);
  // Once more with the watch cleared before the run: no stop at all.
  const h = guest64(LOOP);
  h.m.watch.add({ space: 'linear', address: 0x20000 + 4 * hitAt, length: 4, access: 'write' });
  h.m.watch.clear();
  assert.equal(run(h), StopReason.Halt);
});

test('single-stepping onto a watched write reports the watchpoint for that step', () => {
  const g = guest64(WRITE_THEN_READ);
  g.m.watch.add({ space: 'linear', address: g.sym('data'), length: 8, access: 'write' });
  assert.equal(g.m.step(), StopReason.Limit); // mov $…, %eax
  assert.equal(g.m.step(), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_w1'));
});

test('REP STOSB: the stop comes after the chunk holding the watched byte (documented granularity)', () => {
  const g = guest64(`
  mov $0x20000, %edi
  mov $100, %ecx
  mov $0xab, %al
rep_at: rep stosb
after: hlt
`);
  g.m.watch.add({ space: 'linear', address: 0x20000 + 50, length: 1, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('rep_at'));
  assert.equal(g.m.phys.readBytes(0x20000 + 50, 1)[0], 0xab);
  // The elements done are counted in RCX/RDI; RIP is at the REP (more to do) or past it (done).
  const left = g.m.cpu.lo[Reg.RCX];
  assert.equal(g.m.cpu.lo[Reg.RDI], 0x20000 + 100 - left);
  assert.equal(rip(g), left === 0 ? g.sym('after') : g.sym('rep_at'));
  assert.equal(run(g), StopReason.Halt);
  assert.equal(g.m.phys.readBytes(0x20000 + 99, 1)[0], 0xab);
});

test('an instruction that faults after a watched read reports no watchpoint; its restart does (SDM Vol.3A §6.5)', () => {
  // MOVSQ reads the watched qword, then its write to an unmapped page raises #PF: the instruction did not
  // complete, so nothing is reported; the handler points RDI at mapped memory and the restart completes.
  const g = guest64(`
  mov $data, %esi
  mov $0x7ff000, %edi
  xor %r15d, %r15d
movs_at: movsq
after_movs: hlt
pf:
  inc %r15d
  mov $0x20000, %edi
  add $8, %rsp
  iretq
${DATA}`, { 14: 'pf' });
  page(g);
  g.m.phys.writeBytes(g.sym('data'), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  g.m.watch.add({ space: 'linear', address: g.sym('data'), length: 8, access: 'read' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(g.m.cpu.lo[Reg.R15], 1);
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('movs_at'));
  assert.equal(rip(g), g.sym('after_movs'));
  assert.equal(g.dword(0x20000), 0x04030201);
});

test('a watched stack slot written by INT n stops after the INT, at the handler (a trap on the INT)', () => {
  const g = guest64(`
int_at: int $0x80
  hlt
sys:
  iretq
`, { 0x80: 'sys' });
  // The saved RIP is the lowest qword of the 64-bit frame: RSP − 40 (SDM Vol.3A §6.14.2, Figure 6-9).
  g.m.watch.add({ space: 'linear', address: 0x80000 - 40, length: 8, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('sys'));
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('int_at'));
  assert.equal(run(g), StopReason.Halt);
});

test('a watched stack slot written while delivering a fault stops before the handler runs', () => {
  const g = guest64(`
ud_at: ud2
  hlt
ud:
skip: addq $2, (%rsp)
  iretq
`, { 6: 'ud' });
  g.m.watch.add({ space: 'linear', address: 0x80000 - 40, length: 8, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('ud'));
  // No instruction made the access: the hit names the RIP being saved, the faulting UD2 (SDM Vol.3A §6.5).
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('ud_at'));
  assert.equal(g.m.exec.lastWatch?.access, 'write');
  // The handler's read-modify-write of the slot is the next hit (the first access of it, a read, does not match).
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(g.m.exec.lastWatch?.ripLo, g.sym('skip'));
  assert.equal(run(g), StopReason.Halt);
});

test('a pause requested during the watched instruction still reports the watchpoint, and later hits too', () => {
  const g = guest64(WRITE_THEN_READ);
  g.m.watch.add({ space: 'linear', address: g.sym('data'), length: 4, access: 'access' });
  // A device-style request from inside the access: the same instruction asks for a pause.
  const hook = g.m.watch.onHit;
  g.m.watch.onHit = (hit) => { hook(hit); g.m.exec.requestStop('pause'); };
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_w1'));
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('after_r1'));
  assert.equal(g.m.exec.lastWatch?.access, 'read');
});
