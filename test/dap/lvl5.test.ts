// lvl5.test.ts: the seed's scenario through the real debug adapter over DAP — a function breakpoint on
// lvl5_trampoline stops at its copy at 0x7c00, CR4 shows LA57 after the switch, the modeSwitch filter stops
// at each switch with its description, and the page tables show 4 levels before and 5 after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { example, launch, lineOf, startInProcess, stopped } from '../support/dap';

const LVL5 = example('lvl5-trampoline', 'lvl5.S');
const LVL5_ARGS = { program: LVL5, boot: 'long', load: '0x100000000', paging: 4, stopOnEntry: true };

test('dap: a function breakpoint on lvl5_trampoline stops at its copy at 0x7c00, in compatibility mode, on its source line', async () => {
  const { dc, close } = await startInProcess();
  try {
    let fbp: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    await launch(dc, LVL5_ARGS, async () => {
      fbp = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'lvl5_trampoline' }] });
    });
    const bp = fbp!.body.breakpoints[0];
    assert.equal(bp.verified, true);
    assert.equal(bp.instructionReference, '0x7c00', 'the copy the trampoline runs from');
    const entry = await stopped(dc);
    assert.equal(entry.reason, 'entry');
    await dc.continueRequest({ threadId: 1 });
    const hit = await stopped(dc);
    assert.equal(hit.reason, 'function breakpoint');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const top = st.body.stackFrames[0];
    assert.equal(top.instructionPointerReference, '0x7c00');
    assert.match(top.name, /^lvl5_trampoline · compat32$/);
    const text = readFileSync(LVL5, 'utf8');
    // The first instruction after the label: `movl $__KERNEL_DS, %eax`.
    assert.equal(top.line, lineOf(text, 'movl\t$__KERNEL_DS, %eax', 'lvl5_trampoline:'));
    assert.equal(top.source?.path, LVL5);
  } finally {
    await close();
  }
});

test('dap: the modeSwitch filter stops at each of the four switches with its description', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { ...LVL5_ARGS, stopOnEntry: false }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: ['modeSwitch', 'tripleFault', 'halt'] });
    });
    const seen: string[] = [];
    for (let k = 0; k < 4; k++) {
      const s = await stopped(dc);
      assert.equal(s.reason, 'exception');
      seen.push(s.description ?? '');
      if (k === 0) {
        // Before the switch: still 4-level paging.
        const pt = await dc.customRequest('trampoline/pageTables');
        assert.equal(pt.body.levels, 4);
        assert.equal(pt.body.paging, '4-level');
      }
      await dc.continueRequest({ threadId: 1 });
    }
    // SDM Vol.3A §10.8.5 (leaving IA-32e mode), §4.5 (LA57 with CR4.PAE and CR0.PG), as lvl5.test.ts.
    assert.deepEqual(seen, [
      'long64 · 4-level → compat32 · 4-level via lretq at startup_64+0x83',
      'compat32 · 4-level → protected32 · none via mov at lvl5_trampoline+0x10',
      'protected32 · none → compat32 · 5-level via mov at lvl5_trampoline+0x33',
      'compat32 · 5-level → long64 · 5-level via lretl at lvl5_trampoline+0x36',
    ]);
    const halt = await stopped(dc);
    assert.equal(halt.reason, 'exception');
    assert.equal(halt.description, 'halted');
    const pt = await dc.customRequest('trampoline/pageTables');
    assert.equal(pt.body.paging, '5-level');
    assert.equal(pt.body.levels, 5);
    assert.equal(pt.body.entries[0].level, 'PML5E');
    const history = await dc.customRequest('trampoline/modeHistory');
    assert.equal(history.body.switches.length, 4);
    assert.equal(history.body.switches[0].via, 'lretq');
  } finally {
    await close();
  }
});

test('dap: with "assembler": "gnu" (gcc + GNU as + ld), the same breakpoint stops at the copy on the same line (DWARF)', async (t) => {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('gcc', ['--version']).status !== 0 || spawnSync('objcopy', ['--version']).status !== 0) return t.skip('gcc or binutils not installed (CI installs them)');
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { ...LVL5_ARGS, stopOnEntry: false, assembler: 'gnu' }, async () => {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'lvl5_trampoline' }] });
      assert.equal(r.body.breakpoints[0].instructionReference, '0x7c00');
    });
    assert.equal((await stopped(dc)).reason, 'function breakpoint');
    const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    assert.equal(top.instructionPointerReference, '0x7c00');
    assert.equal(top.line, lineOf(readFileSync(LVL5, 'utf8'), 'movl\t$__KERNEL_DS, %eax', 'lvl5_trampoline:'));
    assert.equal(top.source?.path, LVL5);
  } finally {
    await close();
  }
});

test('dap: a data breakpoint on the PML5 entry at 0x7000 stops after the kernel writes CR3 | 7 there', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { ...LVL5_ARGS, stopOnEntry: false }, async () => {
      const info = await dc.dataBreakpointInfoRequest({ name: '0x7000', bytes: 8 } as DebugProtocol.DataBreakpointInfoArguments);
      assert.equal(info.body.dataId, 'linear:0x7000:8');
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
    });
    const s = await stopped(dc);
    assert.equal(s.reason, 'data breakpoint');
    assert.match(s.description ?? '', /^write of [48] bytes at linear 0x7000 .* at startup_64\+0x/);
    // The entry holds the 4-level CR3 with P | RW | US, as lvl5.S writes it (`leaq 0x7(%rdi), %rax`).
    const entry = BigInt((await dc.evaluateRequest({ expression: '*(u64*)0x7000', context: 'watch' })).body.result);
    const cr3 = BigInt((await dc.evaluateRequest({ expression: 'cr3', context: 'watch' })).body.result);
    assert.equal(entry, cr3 | 7n);
    // Still 4-level paging: the switch comes later.
    assert.equal((await dc.customRequest('trampoline/pageTables')).body.paging, '4-level');
  } finally {
    await close();
  }
});
