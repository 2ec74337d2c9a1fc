// breakpoints.test.ts: each breakpoint kind through the real adapter over DAP — source lines (moved to
// the next line with code), hit counts, conditions, logpoints, instruction and data breakpoints — and
// stepping by line, over calls and out of them, on test/dap/fixtures/steps.S. Expected register values
// are what the program computes by its source (eax grows by 3 per call of bump).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { collectOutput, launch, lineOf, startInProcess, stopped } from '../support/dap';

const STEPS = path.join(__dirname, 'fixtures', 'steps.S');
const TEXT = readFileSync(STEPS, 'utf8');
const ARGS = { program: STEPS, boot: 'long', load: '0x100000', stopOnEntry: true };
const line = (text: string): number => lineOf(TEXT, text);

async function evaluate(dc: DebugClient, expression: string): Promise<string> {
  const r = await dc.evaluateRequest({ expression, context: 'watch', frameId: 0 });
  return r.body.result;
}

async function top(dc: DebugClient): Promise<{ line: number; name: string; ip: string }> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  const f = st.body.stackFrames[0];
  return { line: f.line, name: f.name, ip: f.instructionPointerReference ?? '' };
}

async function withSession(body: (dc: DebugClient) => Promise<void>): Promise<void> {
  const { dc, close } = await startInProcess();
  try {
    await body(dc);
  } finally {
    await close();
  }
}

test('dap: a source breakpoint stops at each call; hit count, condition; a line without code moves to the next', () => withSession(async (dc) => {
  let set: Awaited<ReturnType<DebugClient['setBreakpointsRequest']>> | undefined;
  await launch(dc, ARGS, async () => {
    set = await dc.setBreakpointsRequest({
      source: { path: STEPS },
      breakpoints: [{ line: line('addl\t$3, %eax') }, { line: line('bump:') }, { line: 1 }],
    });
  });
  const [add, label, comment] = set!.body.breakpoints;
  assert.equal(add.verified, true);
  assert.equal(add.line, line('addl\t$3, %eax'));
  // `bump:` has no code of its own: the breakpoint moves to its first instruction's line.
  assert.equal(label.verified, true);
  assert.equal(label.line, line('addl\t$3, %eax'));
  // Line 1 is a comment: the next code is `xorl %eax, %eax` 6 lines below, within the 50 lines searched.
  assert.equal(comment.line, line('xorl\t%eax, %eax'));
  // Stopped on entry at `xorl`, where a breakpoint is too: continuing runs it rather than stopping again.
  assert.equal((await stopped(dc)).reason, 'entry');
  assert.equal((await top(dc)).line, line('xorl\t%eax, %eax'));
  const seen: string[] = [];
  for (let k = 0; k < 5; k++) {
    await dc.continueRequest({ threadId: 1 });
    const s = await stopped(dc);
    assert.equal(s.reason, 'breakpoint');
    assert.equal((await top(dc)).line, line('addl\t$3, %eax'));
    seen.push(await evaluate(dc, 'eax'));
  }
  assert.deepEqual(seen.map((v) => Number(v)), [0, 3, 6, 9, 12]);
  await dc.continueRequest({ threadId: 1 });
  const end = await stopped(dc);
  assert.equal(end.description, 'halted');
  // 5 calls adding 3 each: result holds 15.
  assert.equal(Number(await evaluate(dc, '*(u64*)result')), 15);
}));

test('dap: hit count and condition pick one stop; a logpoint prints instead of stopping', () => withSession(async (dc) => {
  const out = collectOutput(dc);
  await launch(dc, { ...ARGS, stopOnEntry: false }, async () => {
    await dc.setBreakpointsRequest({
      source: { path: STEPS },
      breakpoints: [
        { line: line('addl\t$3, %eax'), hitCondition: '3' },
        { line: line('decl\t%ecx'), condition: 'rcx == 2 && eax == 12' },
        { line: line('movq\t%rax, result(%rip)'), logMessage: 'total {eax:d} after {5 - ecx:d} calls' },
      ],
    });
  });
  let s = await stopped(dc);
  assert.equal(s.reason, 'breakpoint');
  assert.equal((await top(dc)).line, line('addl\t$3, %eax'));
  assert.equal(Number(await evaluate(dc, 'eax')), 6, 'third call: eax = 2 × 3 before its add');
  await dc.continueRequest({ threadId: 1 });
  s = await stopped(dc);
  assert.equal(s.reason, 'breakpoint');
  assert.equal((await top(dc)).line, line('decl\t%ecx'));
  assert.equal(Number(await evaluate(dc, 'ecx')), 2);
  assert.equal(Number(await evaluate(dc, 'eax')), 12);
  await dc.continueRequest({ threadId: 1 });
  s = await stopped(dc);
  assert.equal(s.description, 'halted');
  assert.match(out.text, /total 15 after 5 calls\n/);
}));

test('dap: stepping — next over a call, stepIn into it, stepOut back, instruction granularity', () => withSession(async (dc) => {
  await launch(dc, ARGS);
  await stopped(dc);
  assert.equal((await top(dc)).line, line('xorl\t%eax, %eax'));
  await dc.nextRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('movl\t$5, %ecx'));
  await dc.nextRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('call\tbump'));
  // next: the call runs whole.
  await dc.nextRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('decl\t%ecx'));
  assert.equal(Number(await evaluate(dc, 'eax')), 3);
  await dc.nextRequest({ threadId: 1 });
  await stopped(dc);
  await dc.nextRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('call\tbump'));
  // stepIn enters bump; the caller appears as the second frame.
  await dc.stepInRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('addl\t$3, %eax'));
  const st = await dc.stackTraceRequest({ threadId: 1 });
  assert.equal(st.body.stackFrames.length, 2);
  assert.equal(st.body.stackFrames[1].line, line('call\tbump'));
  assert.match(st.body.stackFrames[0].name, /^bump · long64$/);
  // stepOut: back after the call, bump's add done.
  await dc.stepOutRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal((await top(dc)).line, line('decl\t%ecx'));
  assert.equal(Number(await evaluate(dc, 'eax')), 6);
  // Instruction granularity: one instruction (decl), then jnz.
  const before = (await top(dc)).ip;
  await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
  await stopped(dc);
  assert.equal(Number((await top(dc)).ip), Number(before) + 2, 'decl %ecx is 2 bytes (ff c9)');
}));

test('dap: an instruction breakpoint and a data breakpoint on the write to 0x7000', () => withSession(async (dc) => {
  await launch(dc, ARGS);
  await stopped(dc);
  const dis = await dc.disassembleRequest({ memoryReference: '0x100000', instructionCount: 12 });
  const decl = dis.body!.instructions.find((i) => i.instruction.startsWith('dec'));
  assert.ok(decl, 'decl in the disassembly');
  const ib = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: decl.address }] });
  assert.equal(ib.body.breakpoints[0].verified, true);
  await dc.continueRequest({ threadId: 1 });
  assert.equal((await stopped(dc)).reason, 'instruction breakpoint');
  assert.equal(Number((await top(dc)).ip), Number(decl.address));
  await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
  const info = await dc.dataBreakpointInfoRequest({ name: '0x7000', bytes: 8 } as never);
  assert.ok(info.body.dataId);
  const db = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
  assert.equal(db.body.breakpoints[0].verified, true);
  await dc.continueRequest({ threadId: 1 });
  const s = await stopped(dc);
  assert.equal(s.reason, 'data breakpoint');
  assert.match(s.description ?? '', /^write of [48] bytes at linear 0x7000 \(physical 0x7000\) by mov/);
  // A trap (SDM Vol.3B §17.3.1.2): the write is done and RIP is at the next instruction.
  assert.equal((await top(dc)).line, line('movq\t(%rdi), %rbx'));
  assert.equal(Number(await evaluate(dc, '*(u64*)0x7000')), 0x1234);
}));

test('dap: memory round trip, goto a line, setVariable through the CR checks', () => withSession(async (dc) => {
  await launch(dc, ARGS);
  await stopped(dc);
  const addr = await evaluate(dc, 'result');
  const w = await dc.customRequest('writeMemory', { memoryReference: addr, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).toString('base64') });
  assert.equal(w.body?.bytesWritten, 8);
  const r = await dc.customRequest('readMemory', { memoryReference: addr, count: 8 });
  assert.deepEqual([...Buffer.from(r.body!.data!, 'base64')], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(BigInt(await evaluate(dc, '*(u64*)result')), 0x0807060504030201n);
  // Physical references read the same bytes (identity map).
  const p = await dc.customRequest('readMemory', { memoryReference: `phys:${addr}`, count: 8 });
  assert.equal(p.body!.data, r.body!.data);
  // goto the `cli` line: the loop and the stores are skipped.
  const targets = await dc.gotoTargetsRequest({ source: { path: STEPS }, line: line('cli') });
  assert.equal(targets.body.targets.length, 1);
  await dc.gotoRequest({ threadId: 1, targetId: targets.body.targets[0].id });
  assert.equal((await stopped(dc)).reason, 'goto');
  assert.equal((await top(dc)).line, line('cli'));
  // CR4.LA57 cannot change in IA-32e mode (SDM Vol.3A §2.5, MOV CR4): refused with the #GP it would raise.
  const set = await dc.evaluateRequest({ expression: 'cr4.la57 = 1', context: 'repl' }).then(() => 'ok', (e: Error) => e.message);
  assert.match(set, /#GP/);
  assert.equal(Number(await evaluate(dc, 'cr4.la57')), 0);
}));

test('dap: restart boots the program again and keeps the breakpoints', () => withSession(async (dc) => {
  await launch(dc, { ...ARGS, stopOnEntry: false }, async () => {
    await dc.setBreakpointsRequest({ source: { path: STEPS }, breakpoints: [{ line: line('addl\t$3, %eax') }] });
  });
  await stopped(dc);
  await dc.continueRequest({ threadId: 1 });
  await stopped(dc);
  assert.equal(Number(await evaluate(dc, 'eax')), 3);
  await dc.customRequest('restart', {});
  const s = await stopped(dc);
  assert.equal(s.reason, 'breakpoint');
  assert.equal(Number(await evaluate(dc, 'eax')), 0, 'a fresh machine: the first call again');
}));
