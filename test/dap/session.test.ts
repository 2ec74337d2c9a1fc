// session.test.ts: the adapter's edges over DAP — launch errors for every bad attribute, pause in a tight
// loop, `trampoline dap` on stdio, variables after the lvl5 switch (CR4.LA57), disassembly decoded in the
// mode each piece of code ran in, the REPL, and a fuzz run of malformed requests that must never crash
// or hang the adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { example, launch, startInProcess, startStdio, stopped } from '../support/dap';

const FIXTURES = path.join(__dirname, 'fixtures');
const LVL5 = example('lvl5-trampoline', 'lvl5.S');

async function launchError(dc: DebugClient, args: Record<string, unknown>): Promise<string> {
  await dc.initializeRequest();
  return dc.launchRequest(args as DebugProtocol.LaunchRequestArguments).then(() => 'launched', (e: Error) => e.message);
}

test('dap: every bad launch attribute is refused with a message naming it, the value and what is accepted', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /"program" is required/],
    [{ program: path.join(FIXTURES, 'none.S') }, /"program": cannot read '.*none\.S': no such file/],
    [{ program: path.join(FIXTURES, 'steps.S'), boot: 'bios' }, /"boot" must be one of "reset", "real", .*got "bios"/],
    [{ program: path.join(FIXTURES, 'steps.S'), paging: 3 }, /"paging" must be 4 or 5, got 3/],
    [{ program: path.join(FIXTURES, 'steps.S'), memory: 'lots' }, /"memory" must be a size .* got "lots"/],
    [{ program: path.join(FIXTURES, 'steps.S'), load: 'here' }, /"load" must be an address .* got "here"/],
    [{ program: path.join(FIXTURES, 'steps.S'), stopOnEntry: 'yes' }, /"stopOnEntry" must be true or false, got "yes"/],
    [{ program: path.join(FIXTURES, 'steps.S'), assembler: 'nasm' }, /"assembler" must be one of "builtin", "gnu", got "nasm"/],
    [{ program: path.join(FIXTURES, 'steps.S'), cpu: 'la58' }, /"cpu":.*la58/],
    [{ program: path.join(FIXTURES, 'steps.S'), device: 'sound-blaster' }, /"device" must name a known device/],
    [{ program: path.join(FIXTURES, 'steps.S'), stopOnEntri: true }, /unknown attribute "stopOnEntri"/],
    [{ program: path.join(FIXTURES, 'steps.S'), entry: 'nowhere', boot: 'long', load: '0x100000' }, /"entry": no symbol 'nowhere'/],
    [{ program: path.join(FIXTURES, 'steps.S'), cmdline: 'quiet', boot: 'long', load: '0x100000' }, /"cmdline": is for boot 'multiboot'/],
    [{ program: path.join(FIXTURES, 'steps.S'), copies: [{ start: 'start' }] }, /"copies" entries need "start", "end" and "runtime" .*got \{"start":"start"\}/],
    [{ program: path.join(FIXTURES, 'steps.S'), defines: 'X' }, /"defines" must be an object/],
    // An assembly error comes back as file:line: message.
    [{ program: path.join(FIXTURES, 'bad.S'), boot: 'long', load: '0x100000' }, /bad\.S:4:2: error: no such instruction: .movx/],
  ];
  for (const [args, want] of cases) {
    const { dc, close } = await startInProcess();
    try {
      assert.match(await launchError(dc, args), want, JSON.stringify(args));
    } finally {
      await close();
    }
  }
});

test('dap: pause stops a tight loop (interrupts off), then it continues', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: path.join(FIXTURES, 'spin.S'), boot: 'long', load: '0x100000' });
    await new Promise((r) => setTimeout(r, 100));
    await dc.pauseRequest({ threadId: 1 });
    const s = await stopped(dc, 5000);
    assert.equal(s.reason, 'pause');
    const r1 = BigInt((await dc.evaluateRequest({ expression: 'rax', context: 'watch' })).body.result);
    assert.ok(r1 > 0n, 'the loop ran');
    await dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await dc.pauseRequest({ threadId: 1 });
    await stopped(dc, 5000);
    const r2 = BigInt((await dc.evaluateRequest({ expression: 'rax', context: 'watch' })).body.result);
    assert.ok(r2 > r1, 'it ran on after continue');
  } finally {
    await close();
  }
});

test('dap: `trampoline dap` on stdio runs the lvl5 example to its function breakpoint', async () => {
  const { dc, close } = await startStdio();
  try {
    await launch(dc, { program: LVL5, boot: 'long', load: '0x100000000', paging: 4 }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'lvl5_enabled' }] });
    });
    const s = await stopped(dc);
    assert.equal(s.reason, 'function breakpoint');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.match(st.body.stackFrames[0].name, /^lvl5_enabled · long64$/);
  } finally {
    await close();
  }
});

test('dap: after the switch, Control shows CR4 with LA57 = 1 and Mode says 5-level; disassembly follows each code size', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: LVL5, boot: 'long', load: '0x100000000', paging: 4 }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'lvl5' }] });
    });
    await stopped(dc);
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const control = scopes.body.scopes.find((s) => s.name === 'Control');
    assert.ok(control);
    const regs = await dc.variablesRequest({ variablesReference: control.variablesReference });
    const cr4 = regs.body.variables.find((v) => v.name.toLowerCase() === 'cr4');
    assert.ok(cr4 && cr4.variablesReference > 0);
    const bits = await dc.variablesRequest({ variablesReference: cr4.variablesReference });
    const la57 = bits.body.variables.find((v) => v.name === 'LA57');
    assert.ok(la57);
    assert.match(la57.value, /^(1|0x1|true)\b/);
    const mode = scopes.body.scopes.find((s) => s.name === 'Mode');
    const modeVars = await dc.variablesRequest({ variablesReference: mode!.variablesReference });
    assert.ok(modeVars.body.variables.some((v) => /5-level/.test(v.value)));
    // The copy at 0x7c00 last ran as 32-bit code (its lretl) and 64-bit code (lvl5_enabled); the kernel
    // code above 4 GiB as 64-bit. Bytes of `movl $0x18,%eax` (b8 18 00 00 00) decode as 32-bit code.
    const tramp = await dc.customRequest('disassemble', { memoryReference: '0x7c00', instructionCount: 2 });
    assert.equal(tramp.body.instructions[0].instruction, 'mov    $0x18,%eax');
    const kernel = await dc.customRequest('disassemble', { memoryReference: '0x100000000', instructionCount: 1 });
    assert.match(kernel.body.instructions[0].instruction, /^lea\s+0x[0-9a-f]+\(%rip\),%rax/);
    // The REPL: GDB's examine and the page walk of the PML5 entry's address.
    const x = await dc.evaluateRequest({ expression: 'x/1gx 0x7000', context: 'repl' });
    const cr3 = BigInt((await dc.evaluateRequest({ expression: 'cr3', context: 'watch' })).body.result);
    assert.equal(cr3, 0x7000n, 'CR3 points at the PML5 table the program built at 0x7000');
    assert.match(x.body.result, /0x0*7000:\s+0x[0-9a-f]+/);
    const pt = await dc.evaluateRequest({ expression: 'pt 0x100000000', context: 'repl' });
    assert.match(pt.body.result, /PML5E/);
  } finally {
    await close();
  }
});

test('dap: a fuzz run of random and malformed requests never crashes or hangs the adapter', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: path.join(FIXTURES, 'steps.S'), boot: 'long', load: '0x100000', stopOnEntry: true });
    await stopped(dc);
    let seed = 12345;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const junk = (): unknown => {
      const pick = [null, undefined, -1, 0, 2 ** 53, 1e308, NaN, '', 'x'.repeat(rand(2000)), '{rax}', '*(u64*)', '0x' + 'f'.repeat(rand(30)), [], {}, { a: [1, { b: 2 }] }, true, '\u0000\uffff', 'phys:0xfffffffffffff'];
      return pick[rand(pick.length)];
    };
    const commands = ['evaluate', 'variables', 'scopes', 'setVariable', 'setExpression', 'readMemory', 'writeMemory', 'disassemble', 'setBreakpoints',
      'setFunctionBreakpoints', 'setInstructionBreakpoints', 'dataBreakpointInfo', 'setDataBreakpoints', 'setExceptionBreakpoints', 'gotoTargets',
      'goto', 'completions', 'stackTrace', 'exceptionInfo', 'trampoline/pageTables', 'trampoline/translate', 'trampoline/modeHistory', 'nonsense', 'source'];
    const keys = ['expression', 'context', 'variablesReference', 'name', 'value', 'memoryReference', 'offset', 'count', 'data', 'instructionCount',
      'instructionOffset', 'source', 'breakpoints', 'lines', 'filters', 'filterOptions', 'targetId', 'line', 'text', 'column', 'table', 'address', 'threadId', 'levels'];
    for (let k = 0; k < 600; k++) {
      const args: Record<string, unknown> = {};
      for (let j = rand(5); j > 0; j--) args[keys[rand(keys.length)]] = junk();
      await dc.customRequest(commands[rand(commands.length)], args).catch(() => undefined);
    }
    const threads = await dc.threadsRequest();
    assert.equal(threads.body.threads.length, 1);
    const ev = await dc.evaluateRequest({ expression: '1 + 2', context: 'watch' });
    assert.equal(Number(ev.body.result), 3);
  } finally {
    await close();
  }
});

test('dap: the program\'s #define constants and labels evaluate; hovering a register answers', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: LVL5, boot: 'long', load: '0x100000000', paging: 4, stopOnEntry: true });
    await stopped(dc);
    const ev = async (expression: string, context = 'watch'): Promise<string> => (await dc.evaluateRequest({ expression, context })).body.result;
    // lvl5.S: #define LVL5_TRAMPOLINE 0x7c00, #define X86_CR4_LA57 (1 << 12).
    assert.equal(Number(await ev('LVL5_TRAMPOLINE')), 0x7c00);
    assert.equal(Number(await ev('X86_CR4_LA57 | X86_CR4_PAE')), 0x1020);
    assert.equal(Number(await ev('lvl5_trampoline_end - lvl5_trampoline')) > 0, true);
    assert.equal(Number(await ev('rip')), 0x100000000);
    assert.equal(Number(await ev('%rip', 'hover')), 0x100000000);
  } finally {
    await close();
  }
});
