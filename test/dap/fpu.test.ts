// fpu.test.ts: the x87/SSE scope over DAP — fixtures/fpu.S runs FNINIT, FLD1, FLDZ and LDMXCSR to a
// function breakpoint; scopes, variables, evaluate and setVariable then go through the real adapter.
// Expected values: SDM Vol.2A FINIT/FNINIT (FCW 037FH), Vol.1 §8.1.2 (each load decrements TOP),
// §8.1.7 (tags), §4.2.2 (1.0 = 3FFF 8000000000000000h), §10.2.3 (MXCSR fields), Vol.2A LDMXCSR (#GP(0)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, startInProcess, stopped } from '../support/dap';

const FIXTURES = path.join(__dirname, 'fixtures');

test('dap: x87/SSE scope after FNINIT, FLD1, FLDZ, LDMXCSR; evaluate; setVariable refuses a reserved MXCSR bit', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, { program: path.join(FIXTURES, 'fpu.S'), boot: 'long', load: '0x100000' }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'loaded' }] });
    });
    const s = await stopped(dc);
    assert.equal(s.reason, 'function breakpoint');
    const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
    const fpu = scopes.find((x) => x.name === 'x87/SSE');
    assert.ok(fpu, scopes.map((x) => x.name).join(', '));
    assert.equal(fpu.expensive, false);
    const vars = (await dc.variablesRequest({ variablesReference: fpu.variablesReference })).body.variables;
    const value = (name: string): string => {
      const v = vars.find((x) => x.name === name);
      assert.ok(v, name);
      return v.value;
    };
    assert.match(value('FCW'), /^0x037f /);
    assert.match(value('FSW'), /^0x3000 \[TOP=6\]$/);
    assert.match(value('FTW'), /^0x1fff /);
    assert.equal(value('ST0'), '0 (0x00000000000000000000, zero)');
    assert.equal(value('ST1'), '1 (0x3fff8000000000000000, valid)');
    assert.match(value('ST2'), /empty\)$/);
    assert.match(value('MXCSR'), /^0x0000dfc0 \[DAZ IM DM ZM OM UM PM FZ RC=2 \(up\)\]$/);
    const mxcsr = vars.find((x) => x.name === 'MXCSR');
    assert.ok(mxcsr && mxcsr.variablesReference > 0);
    const fields = (await dc.variablesRequest({ variablesReference: mxcsr.variablesReference })).body.variables;
    assert.equal(fields.find((f) => f.name === 'RC')?.value, '2 (up)');
    assert.equal(fields.find((f) => f.name === 'FZ')?.value, '1');

    assert.equal((await dc.evaluateRequest({ expression: '$st1', context: 'watch' })).body.result, '1');
    assert.equal((await dc.evaluateRequest({ expression: 'mxcsr.rc', context: 'hover' })).body.result, '2');

    const refused = await dc.setVariableRequest({ variablesReference: fpu.variablesReference, name: 'MXCSR', value: '0x10000' }).then(() => 'accepted', (e: Error) => e.message);
    assert.match(refused, /ldmxcsr would raise #GP\(0\)/);
    const rc = await dc.setVariableRequest({ variablesReference: mxcsr.variablesReference, name: 'RC', value: '0' });
    assert.equal(rc.body.value, '0 (nearest)');
    assert.equal((await dc.evaluateRequest({ expression: 'mxcsr', context: 'watch' })).body.result, '0x9fc0');

    const repl = await dc.evaluateRequest({ expression: 'info float', context: 'repl' });
    assert.match(repl.body.result, /=>R6:\s+ST\(0\)\s+zero/);
  } finally {
    await close();
  }
});
