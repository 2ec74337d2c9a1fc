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

test('dap, real kernel: symbols from an ELF linked at 0 (as arch/x86/boot/compressed/vmlinux is) move to the load address', { skip, timeout: 120_000 }, async (t) => {
  if (!('path' in kernel)) return;
  const { spawnSync, execFileSync } = await import('node:child_process');
  if (spawnSync('gcc', ['--version']).status !== 0) return t.skip('gcc not installed (CI installs it)');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  // A stand-in for the compressed kernel's vmlinux: the two entries where head_64.S puts them
  // (startup_32 at 0, startup_64 at 0x200 — boot.rst's 64-bit entry), and a later label.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tramp-vmlinux-'));
  writeFileSync(path.join(dir, 'v.S'), '\t.code32\n\t.globl startup_32\nstartup_32:\n\tnop\n\t.org 0x200\n\t.code64\n\t.globl startup_64\nstartup_64:\n\tnop\n\t.globl later\nlater:\n\tret\n');
  execFileSync('gcc', ['-c', '-g', path.join(dir, 'v.S'), '-o', path.join(dir, 'v.o')]);
  execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext=0', '-e', '0', '-o', path.join(dir, 'vmlinux'), path.join(dir, 'v.o')]);
  const { dc, close } = await startInProcess();
  try {
    let load = 0;
    await launch(dc, { program: kernel.path, boot: 'linux', cmdline: 'nokaslr', symbols: path.join(dir, 'vmlinux'), stopOnEntry: true }, async () => {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'startup_64' }, { name: 'later' }] });
      load = Number(r.body.breakpoints[0].instructionReference) - 0x200;
      assert.equal(Number(r.body.breakpoints[1].instructionReference), load + 0x201);
    });
    await stopped(dc);
    const ip = Number((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference);
    assert.equal(ip, load + 0x200, 'the 64-bit entry is startup_64 of the symbol file, moved by the load address');
  } finally {
    await close();
  }
});
