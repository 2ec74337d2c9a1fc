/** Tests of the host-CPU reference harness itself (hand-assembled code with certain results). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODE, DATA, FLAG, REG, STACK_TOP, STATUS_FLAGS_MASK, VECTOR_SYSCALL_BLOCKED,
  hostCpuAvailable, hostCpuInfo, hostRegs, hostSyscallsBlocked, runOnHost,
  type HostCase, type HostResult,
} from './hostCpu';

const skip = hostCpuAvailable();

function hex(s: string): Uint8Array {
  const parts = s.trim().split(/\s+/).filter((p) => p.length > 0);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

function le(value: bigint, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

function ok(r: HostResult): void {
  assert.equal(r.fault, undefined, `unexpected fault ${JSON.stringify(r.fault, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
  assert.equal(r.timeout, undefined, 'unexpected timeout');
}

const SIGILL = 4, SIGTRAP = 5, SIGFPE = 8, SIGSEGV = 11, SIGSYS = 31;

test('host: add %rcx,%rax sets CF/OF/ZF/SF correctly', { skip: skip ?? false }, () => {
  const code = hex('48 01 c8');
  const [a, b, c] = runOnHost([
    { mode: 64, code, regs: hostRegs({ rax: 0x7fff_ffff_ffff_ffffn, rcx: 1 }), rflags: 0 },
    { mode: 64, code, regs: hostRegs({ rax: 0xffff_ffff_ffff_ffffn, rcx: 1 }), rflags: 0 },
    { mode: 64, code, regs: hostRegs({ rax: 2, rcx: 3 }), rflags: FLAG.CF | FLAG.ZF | FLAG.OF },
  ]);
  for (const r of [a, b, c]) ok(r!);
  assert.equal(a!.regs[REG.rax], 0x8000_0000_0000_0000n);
  assert.equal(a!.rflags & STATUS_FLAGS_MASK, FLAG.OF | FLAG.SF | FLAG.AF | FLAG.PF);
  assert.equal(b!.regs[REG.rax], 0n);
  assert.equal(b!.rflags & STATUS_FLAGS_MASK, FLAG.CF | FLAG.ZF | FLAG.AF | FLAG.PF);
  assert.equal(c!.regs[REG.rax], 5n);
  assert.equal(c!.rflags & STATUS_FLAGS_MASK, FLAG.PF); // 5 = 0b101: even parity
  assert.equal(c!.rip, BigInt(CODE + 3));
  assert.equal(c!.regs[REG.rcx], 3n);
  assert.equal(c!.regs[REG.rsp], BigInt(STACK_TOP));
});

test('host: every register round-trips; only CF PF AF ZF SF DF OF are taken from input', { skip: skip ?? false }, () => {
  const regs = hostRegs();
  for (let i = 0; i < 16; i++) regs[i] = 0x0101_0101_0101_0101n * BigInt(i + 1) + 0x8000_0000_0000_0000n;
  regs[REG.rsp] = BigInt(STACK_TOP - 8);
  // empty blob, then pushfq; pop %rax (DF stays as given)
  const [a, b] = runOnHost([
    { mode: 64, code: new Uint8Array(0), regs, rflags: 0xffff_ffff },
    { mode: 64, code: hex('9c 58'), regs: hostRegs({ rsp: STACK_TOP - 64 }), rflags: FLAG.CF | FLAG.ZF | FLAG.TF | FLAG.AC },
  ]);
  ok(a!);
  assert.deepEqual(a!.regs, [...regs]);
  assert.equal(a!.rflags, 0xed5 | 0x202);
  assert.equal(a!.rip, BigInt(CODE));
  ok(b!);
  assert.equal(b!.regs[REG.rax], BigInt(FLAG.CF | FLAG.ZF | 0x202));
  assert.equal(b!.stack.length, 512);
  assert.deepEqual([...b!.stack.subarray(512 - 72, 512 - 64)], le(BigInt(FLAG.CF | FLAG.ZF | 0x202), 8));
});

test('host: 32-bit mode daa, register truncation, and #UD for daa in 64-bit mode', { skip: skip ?? false }, () => {
  const [a, b] = runOnHost([
    { mode: 32, code: hex('27'), regs: hostRegs({ rax: 0xdead_beef_1234_56aen, r8: 77, rsp: STACK_TOP - 4 }), rflags: 0 },
    { mode: 64, code: hex('27'), regs: hostRegs({ rax: 0xae }), rflags: 0 },
  ]);
  ok(a!);
  assert.equal(a!.regs[REG.rax], 0x1234_5614n);
  assert.equal(a!.rflags & (FLAG.CF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.PF), FLAG.CF | FLAG.AF | FLAG.PF);
  assert.equal(a!.regs[REG.r8], 0n);
  assert.equal(a!.regs[REG.rsp], BigInt(STACK_TOP - 4));
  assert.equal(a!.rip, BigInt(CODE + 1));
  assert.equal(b!.fault?.vector, 6);
  assert.equal(b!.fault?.signal, SIGILL);
  assert.equal(b!.fault?.rip, BigInt(CODE));
});

test('host: 32-bit pusha / popa with the stack window', { skip: skip ?? false }, () => {
  const top = STACK_TOP - 16;
  const regs = hostRegs({ rax: 1, rcx: 2, rdx: 3, rbx: 4, rsp: top, rbp: 6, rsi: 7, rdi: 8 });
  const stack = new Uint8Array(512);
  stack.fill(0xaa, 496); // bytes above the pushed area must survive
  const [a, b] = runOnHost([
    { mode: 32, code: hex('60'), regs, rflags: 0, stack },
    { mode: 32, code: hex('60 31 c0 31 c9 31 d2 31 db 31 ed 31 f6 31 ff 61'), regs, rflags: FLAG.CF },
  ]);
  ok(a!);
  assert.equal(a!.regs[REG.rsp], BigInt(top - 32));
  const expected = [8, 7, 6, top, 4, 3, 2, 1].flatMap((v) => le(BigInt(v), 4));
  assert.deepEqual([...a!.stack.subarray(512 - 48, 512 - 16)], expected);
  assert.deepEqual([...a!.stack.subarray(496)], new Array<number>(16).fill(0xaa));
  assert.deepEqual([...a!.stack.subarray(0, 512 - 48)], new Array<number>(512 - 48).fill(0));
  ok(b!);
  assert.deepEqual(b!.regs.slice(0, 8), regs.slice(0, 8));
  assert.equal(b!.rflags & STATUS_FLAGS_MASK, FLAG.ZF | FLAG.PF); // from the last xor
  assert.deepEqual([...b!.stack.subarray(512 - 48, 512 - 16)], expected);
});

test('host: #DE from div reports vector 0 and the registers at the fault', { skip: skip ?? false }, () => {
  const [a, b] = runOnHost([
    { mode: 64, code: hex('48 ff c3 48 f7 f1 90'), regs: hostRegs({ rax: 100, rdx: 0, rcx: 0, rbx: 41 }), rflags: 0 },
    { mode: 32, code: hex('f7 f1'), regs: hostRegs({ rax: 100, rcx: 0 }), rflags: 0 },
  ]);
  assert.equal(a!.fault?.vector, 0);
  assert.equal(a!.fault?.signal, SIGFPE);
  assert.equal(a!.fault?.errorCode, 0);
  assert.equal(a!.fault?.rip, BigInt(CODE + 3));
  assert.equal(a!.regs[REG.rax], 100n);
  assert.equal(a!.regs[REG.rbx], 42n);
  assert.equal(a!.regs[REG.rsp], BigInt(STACK_TOP));
  assert.equal(b!.fault?.vector, 0);
  assert.equal(b!.fault?.rip, BigInt(CODE));
});

test('host: ud2, int3, #PF, #GP and single-step are reported with the right vector', { skip: skip ?? false }, () => {
  const rs = runOnHost([
    { mode: 64, code: hex('48 ff c0 0f 0b'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('cc 90'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('48 8b 04 25 08 00 00 00'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('fa'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('cd 10'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('9c 48 81 0c 24 00 01 00 00 9d 90 90'), regs: hostRegs({ rsp: STACK_TOP - 8 }), rflags: 0 },
    { mode: 32, code: hex('0f 0b'), regs: hostRegs(), rflags: 0 },
    { mode: 32, code: hex('a1 00 00 00 40'), regs: hostRegs(), rflags: 0 },
  ]);
  const [ud, bp, pf, gp, intn, ss, ud32, pf32] = rs;
  assert.equal(ud!.fault?.vector, 6);
  assert.equal(ud!.fault?.rip, BigInt(CODE + 3));
  assert.equal(ud!.regs[REG.rax], 1n);
  assert.equal(bp!.fault?.vector, 3);
  assert.equal(bp!.fault?.signal, SIGTRAP);
  assert.equal(bp!.fault?.rip, BigInt(CODE + 1)); // trap: after int3
  assert.equal(pf!.fault?.vector, 14);
  assert.equal(pf!.fault?.signal, SIGSEGV);
  assert.equal(pf!.fault?.addr, 8n);
  assert.equal(pf!.fault?.errorCode, 4); // user-mode read of a non-present page
  assert.equal(gp!.fault?.vector, 13);
  assert.equal(gp!.fault?.errorCode, 0);
  assert.equal(intn!.fault?.vector, 13);
  assert.equal(intn!.fault?.errorCode, 0x10 * 8 + 2); // IDT entry, EXT=0
  assert.equal(ss!.fault?.vector, 1);
  assert.equal(ss!.fault?.signal, SIGTRAP);
  assert.equal(ss!.fault?.rip, BigInt(CODE + 11)); // after the instruction following popf
  assert.equal(ud32!.fault?.vector, 6);
  assert.equal(pf32!.fault?.vector, 14);
  assert.equal(pf32!.fault?.addr, 0x4000_0000n);
});

test('host: stores to DATA show up in the data window; loads see the given bytes', { skip: skip ?? false }, () => {
  const bytes = new Uint8Array(0x200);
  bytes.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], 0x100);
  const [a, b, c] = runOnHost([
    // mov %rax,0x20000000 ; mov 0x20000100,%rbx
    { mode: 64, code: hex('48 89 04 25 00 00 00 20 48 8b 1c 25 00 01 00 20'), regs: hostRegs({ rax: 0x1122_3344_5566_7788n }), rflags: 0, data: { offset: 0, bytes } },
    // default window: DATA[0,256)
    { mode: 64, code: hex('c6 04 25 ff 00 00 20 5a'), regs: hostRegs(), rflags: 0 },
    // 32-bit: mov %eax,0x20000104 ; mov 0x20000100,%ebx
    { mode: 32, code: hex('a3 04 01 00 20 8b 1d 00 01 00 20'), regs: hostRegs({ rax: 0xcafe_f00d }), rflags: 0, data: { offset: 0x100, bytes: bytes.subarray(0x100, 0x110) } },
  ]);
  ok(a!);
  assert.deepEqual([...a!.data.subarray(0, 8)], [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
  assert.equal(a!.regs[REG.rbx], 0x8877_6655_4433_2211n);
  assert.equal(a!.data.length, 0x200);
  ok(b!);
  assert.equal(b!.data.length, 256);
  assert.equal(b!.data[255], 0x5a);
  ok(c!);
  assert.equal(c!.regs[REG.rbx], 0x4433_2211n);
  assert.deepEqual([...c!.data.subarray(0, 8)], [0x11, 0x22, 0x33, 0x44, 0x0d, 0xf0, 0xfe, 0xca]);
  // DATA was zeroed between cases: the second case's window had no trace of the first
  assert.deepEqual([...b!.data.subarray(0, 8)], new Array<number>(8).fill(0));
});

test('host: rep movsb DATA->DATA, forwards and with DF=1', { skip: skip ?? false }, () => {
  const bytes = new Uint8Array(0x100);
  for (let i = 0; i < 16; i++) bytes[i] = i + 1;
  const data = { offset: 0x100, bytes };
  const [fwd, back, after] = runOnHost([
    { mode: 64, code: hex('f3 a4'), regs: hostRegs({ rsi: DATA + 0x100, rdi: DATA + 0x180, rcx: 16 }), rflags: 0, data },
    { mode: 64, code: hex('f3 a4'), regs: hostRegs({ rsi: DATA + 0x10f, rdi: DATA + 0x18f, rcx: 16 }), rflags: FLAG.DF, data },
    { mode: 64, code: hex('9c 58'), regs: hostRegs(), rflags: 0 },
  ]);
  for (const r of [fwd, back]) {
    ok(r!);
    assert.deepEqual([...r!.data.subarray(0x80, 0x90)], [...bytes.subarray(0, 16)]);
    assert.deepEqual([...r!.data.subarray(0x90, 0xa0)], new Array<number>(16).fill(0));
    assert.equal(r!.regs[REG.rcx], 0n);
  }
  assert.equal(fwd!.regs[REG.rsi], BigInt(DATA + 0x110));
  assert.equal(fwd!.regs[REG.rdi], BigInt(DATA + 0x190));
  assert.equal(fwd!.rflags & FLAG.DF, 0);
  assert.equal(back!.regs[REG.rsi], BigInt(DATA + 0xff));
  assert.equal(back!.regs[REG.rdi], BigInt(DATA + 0x17f));
  assert.equal(back!.rflags & FLAG.DF, FLAG.DF);
  ok(after!);
  assert.equal(after!.regs[REG.rax] & BigInt(FLAG.DF), 0n, 'DF does not leak into the next case');
});

test('host: call/ret pair in 64-bit and 32-bit mode', { skip: skip ?? false }, () => {
  const [a, b] = runOnHost([
    // call +5; inc %rbx; jmp end; inc %rax; ret
    { mode: 64, code: hex('e8 05 00 00 00 48 ff c3 eb 04 48 ff c0 c3'), regs: hostRegs({ rsp: STACK_TOP - 16 }), rflags: 0 },
    // call +3; inc %ebx; jmp end; inc %eax; ret
    { mode: 32, code: hex('e8 03 00 00 00 43 eb 02 40 c3'), regs: hostRegs({ rsp: STACK_TOP - 16 }), rflags: 0 },
  ]);
  ok(a!);
  assert.equal(a!.regs[REG.rax], 1n);
  assert.equal(a!.regs[REG.rbx], 1n);
  assert.equal(a!.regs[REG.rsp], BigInt(STACK_TOP - 16));
  assert.equal(a!.rip, BigInt(CODE + 14));
  assert.deepEqual([...a!.stack.subarray(512 - 24, 512 - 16)], le(BigInt(CODE + 5), 8));
  ok(b!);
  assert.equal(b!.regs[REG.rax], 1n);
  assert.equal(b!.regs[REG.rbx], 1n);
  assert.equal(b!.regs[REG.rsp], BigInt(STACK_TOP - 16));
  assert.deepEqual([...b!.stack.subarray(512 - 20, 512 - 16)], le(BigInt(CODE + 5), 4));
});

test('host: an infinite loop times out and the batch carries on', { skip: skip ?? false }, () => {
  const t0 = performance.now();
  const [a, b, c] = runOnHost([
    { mode: 64, code: hex('48 ff c0 eb fe'), regs: hostRegs(), rflags: 0, timeoutMs: 200 },
    { mode: 32, code: hex('eb fe'), regs: hostRegs(), rflags: 0, timeoutMs: 200 },
    { mode: 64, code: hex('48 ff c0'), regs: hostRegs({ rax: 9 }), rflags: 0 },
  ]);
  const ms = performance.now() - t0;
  assert.equal(a!.timeout, true);
  assert.equal(a!.fault, undefined);
  assert.equal(a!.rip, BigInt(CODE + 3));
  assert.equal(a!.regs[REG.rax], 1n);
  assert.equal(b!.timeout, true);
  assert.equal(b!.rip, BigInt(CODE));
  ok(c!);
  assert.equal(c!.regs[REG.rax], 10n);
  assert.ok(ms >= 380, `two 200 ms timeouts took only ${ms} ms`);
});

test('host: guest syscalls are refused', { skip: skip ?? false }, (t) => {
  const rs = runOnHost([
    { mode: 64, code: hex('0f 05'), regs: hostRegs({ rax: 39 }), rflags: 0 }, // syscall getpid
    { mode: 64, code: hex('cd 80'), regs: hostRegs({ rax: 20 }), rflags: 0 }, // int 0x80 getpid
    { mode: 32, code: hex('cd 80'), regs: hostRegs({ rax: 20 }), rflags: 0 },
  ]);
  if (!hostSyscallsBlocked()) {
    t.skip('seccomp unavailable: guest syscalls are not blocked');
    return;
  }
  for (const r of rs) {
    assert.equal(r.fault?.signal, SIGSYS);
    assert.equal(r.fault?.vector, VECTOR_SYSCALL_BLOCKED);
  }
  assert.equal(rs[0]!.fault?.rip, BigInt(CODE + 2));
});

test('host: survives guests that change FS/GS/DS, AC, MXCSR and x87 state', { skip: skip ?? false }, () => {
  const rs = runOnHost([
    // mov $0x2b,%ax; mov %ax,%fs; mov %ax,%gs   (breaks the harness's TLS unless restored)
    { mode: 64, code: hex('66 b8 2b 00 8e e0 8e e8'), regs: hostRegs(), rflags: 0 },
    // the same, then fault
    { mode: 64, code: hex('66 b8 2b 00 8e e0 0f 0b'), regs: hostRegs(), rflags: 0 },
    // wrfsbase %rax (rax=0) -- #UD without FSGSBASE
    { mode: 64, code: hex('f3 48 0f ae d0'), regs: hostRegs(), rflags: 0 },
    // 32-bit: xor %eax,%eax; mov %eax,%ds  -- the epilogue cannot use DS any more
    { mode: 32, code: hex('31 c0 8e d8'), regs: hostRegs({ rax: 5, rbx: 6 }), rflags: 0 },
    // 32-bit: mov $0x2b,%eax; mov %eax,%fs; mov %eax,%gs; mov %eax,%es
    { mode: 32, code: hex('b8 2b 00 00 00 8e e0 8e e8 8e c0'), regs: hostRegs(), rflags: 0 },
    // pushfq; orq $AC,(%rsp); popfq
    { mode: 64, code: hex('9c 48 81 0c 24 00 00 04 00 9d'), regs: hostRegs({ rsp: STACK_TOP - 8 }), rflags: 0 },
    // fld1 x3; ldmxcsr (rsp) with all exceptions unmasked
    { mode: 64, code: hex('d9 e8 d9 e8 d9 e8 0f ae 14 24'), regs: hostRegs({ rsp: STACK_TOP - 8 }), rflags: 0, stack: Uint8Array.of(0x00, 0x00, 0, 0, 0, 0, 0, 0) },
    // mov %fs:0x28,%rax and mov %rax,%fs:0x30: the FS base is 0 while a guest runs, so no harness TLS is hit
    { mode: 64, code: hex('64 48 8b 04 25 28 00 00 00'), regs: hostRegs(), rflags: 0 },
    { mode: 64, code: hex('64 48 89 04 25 30 00 00 00'), regs: hostRegs(), rflags: 0 },
    // clobber the harness's saved host RSP (mov %rax,0x0f001110): undefined result, but the harness survives
    { mode: 64, code: hex('48 89 04 25 10 11 00 0f'), regs: hostRegs({ rax: 0 }), rflags: 0 },
    { mode: 64, code: hex('48 ff c0'), regs: hostRegs({ rax: 1 }), rflags: 0 },
    { mode: 32, code: hex('40'), regs: hostRegs({ rax: 1 }), rflags: 0 },
  ]);
  ok(rs[0]!);
  assert.equal(rs[1]!.fault?.vector, 6);
  assert.ok(rs[2]!.fault === undefined || rs[2]!.fault.vector === 6);
  ok(rs[3]!);
  assert.equal(rs[3]!.regs[REG.rax], 0n);
  assert.equal(rs[3]!.regs[REG.rbx], 6n);
  assert.equal(rs[3]!.rip, BigInt(CODE + 4));
  ok(rs[4]!);
  ok(rs[5]!);
  assert.equal(rs[5]!.rflags & FLAG.AC, FLAG.AC);
  ok(rs[6]!);
  assert.equal(rs[7]!.fault?.vector, 14);
  assert.equal(rs[7]!.fault?.addr, 0x28n);
  assert.equal(rs[8]!.fault?.vector, 14);
  assert.equal(rs[8]!.fault?.addr, 0x30n);
  assert.ok(rs[9]!.fault !== undefined || rs[9]!.timeout === true);
  ok(rs[10]!);
  assert.equal(rs[10]!.regs[REG.rax], 2n);
  ok(rs[11]!);
  assert.equal(rs[11]!.regs[REG.rax], 2n);
});

test('host: no harness memory below 4 GiB besides the fixed areas', { skip: skip ?? false }, () => {
  assert.equal(hostCpuInfo().lowHarnessMemory, false);
});

test('host: 10,000 trivial cases in one batch', { skip: skip ?? false }, () => {
  const N = 10_000;
  const code64 = hex('48 ff c0');
  const code32 = hex('40');
  const cases: HostCase[] = [];
  for (let i = 0; i < N; i++) {
    const m32 = i % 4 === 3;
    cases.push({ mode: m32 ? 32 : 64, code: m32 ? code32 : code64, regs: hostRegs({ rax: i }), rflags: 0 });
  }
  const t0 = performance.now();
  const rs = runOnHost(cases);
  const ms = performance.now() - t0;
  console.log(`host harness: ${N} cases in ${ms.toFixed(0)} ms (${((ms * 1000) / N).toFixed(1)} us/case)`);
  assert.equal(rs.length, N);
  for (let i = 0; i < N; i++) {
    const r = rs[i]!;
    if (r.fault || r.timeout || r.regs[REG.rax] !== BigInt(i + 1)) assert.fail(`case ${i}: ${String(r.regs[REG.rax])}`);
  }
});
