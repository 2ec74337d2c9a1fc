// linux.test.ts: a real distribution kernel (Debian's bzImage, fetched by test/support/linuxKernel.ts)
// through the debug adapter: the modeSwitch filter stops at each step of the decompressor's own 5-level
// trampoline (long mode → compatibility mode → paging off → 5-level paging → long mode, as
// arch/x86/boot/compressed/head_64.S and pgtable_64.c do it), and the page tables show 5 levels after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debianKernel } from '../support/linuxKernel';
import { launch, startInProcess, stopped } from '../support/dap';

const kernel = debianKernel();
const skip = 'skip' in kernel ? kernel.skip : undefined;

test('dap, real kernel: the modeSwitch filter stops at the decompressor\'s trampoline round trip into 5-level paging', { skip, timeout: 120_000 }, async () => {
  if (!('path' in kernel)) return;
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: kernel.path, boot: 'linux', cmdline: 'earlyprintk=ttyS0,115200 console=ttyS0 nokaslr', stopOnEntry: true }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: ['modeSwitch', 'tripleFault', 'halt'] });
    });
    const entry = await stopped(dc);
    assert.equal(entry.reason, 'entry');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.match(st.body.stackFrames[0].name, /^startup_64 · long64$/, 'the 64-bit entry, named without the kernel\'s symbols');
    const seen: string[] = [];
    for (let k = 0; k < 4; k++) {
      await dc.continueRequest({ threadId: 1 });
      const s = await stopped(dc, 100_000);
      assert.equal(s.reason, 'exception', s.description);
      seen.push((s.description ?? '').replace(/ via .*/, ''));
    }
    assert.deepEqual(seen, [
      'long64 · 4-level → compat32 · 4-level',
      'compat32 · 4-level → protected32 · none',
      'protected32 · none → compat32 · 5-level',
      'compat32 · 5-level → long64 · 5-level',
    ]);
    const pt = await dc.customRequest('trampoline/pageTables');
    assert.equal(pt.body.paging, '5-level');
    const cr4 = BigInt((await dc.evaluateRequest({ expression: 'cr4', context: 'watch' })).body.result);
    assert.equal(cr4 & (1n << 12n), 1n << 12n, 'CR4.LA57');
  } finally {
    await close();
  }
});
