// fpuView.test.ts: the x87/SSE scope (adapter/fpuView.ts), its expressions (evaluate.ts, assign.ts) and
// `info float` / `info sse` (fpuRepl.ts) over test/dap/fixtures/fpu.S, which runs FNINIT, FLD1, FLDZ and
// LDMXCSR, then FXSAVE. Expected values come from the SDM (cited at each check); edits are checked by what
// the guest's FXSAVE stores afterwards, and the refused MXCSR value against the host's LDMXCSR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Variables } from '../../adapter/variables';
import { evaluate } from '../../adapter/evaluate';
import { assign } from '../../adapter/assign';
import { replCommand, replCompletions } from '../../adapter/repl';
import type { Debuggee } from '../../adapter/debuggee';
import { bootDebuggee, label, runTo } from './debuggeeFixture';
import { DATA, hostCpuAvailable, hostRegs, runOnHost } from '../host/hostCpu';

function fixture(): string {
  const candidates = [path.join(__dirname, '..', 'dap', 'fixtures', 'fpu.S'), path.join(__dirname, '..', '..', '..', 'test', 'dap', 'fixtures', 'fpu.S')];
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

/** fpu.S run to `loaded` (after LDMXCSR). */
function bootFpu(): Debuggee {
  const file = fixture();
  const d = bootDebuggee(file, readFileSync(file, 'utf8'), { boot: 'long', load: 0x100000 });
  runTo(d, label(d, 'loaded'));
  return d;
}

function scopeVars(v: Variables): DebugProtocol.Variable[] {
  const s = v.scopes().find((x) => x.name === 'x87/SSE');
  assert.ok(s, 'x87/SSE scope');
  return v.variables(s.variablesReference);
}

function get(list: DebugProtocol.Variable[], name: string): DebugProtocol.Variable {
  const x = list.find((c) => c.name === name);
  assert.ok(x, `${name} in ${list.map((c) => c.name).join(', ')}`);
  return x;
}

const children = (v: Variables, x: DebugProtocol.Variable): DebugProtocol.Variable[] => v.variables(x.variablesReference);

function evalText(d: Debuggee, text: string): string {
  const r = evaluate(d, text);
  assert.ok(!('error' in r), `${text}: ${'error' in r ? r.error : ''}`);
  return r.display;
}

test('x87/SSE scope after FNINIT, FLD1, FLDZ, LDMXCSR 0xdfc0', () => {
  const d = bootFpu();
  const v = new Variables(d);
  const list = scopeVars(v);
  // FNINIT: FCW 037FH, FSW 0, all tags empty (SDM Vol.2A FINIT/FNINIT); two loads push twice: TOP 0 → 6
  // (SDM Vol.1 §8.1.2: a load decrements TOP), FSW = 6 << 11.
  assert.match(get(list, 'FCW').value, /^0x037f \[IM DM ZM OM UM PM PC=3 .*RC=0 \(nearest\)\]$/);
  assert.match(get(list, 'FSW').value, /^0x3000 \[TOP=6\]$/);
  // Tags (SDM Vol.1 §8.1.7): R7 holds 1.0 (valid, 00B), R6 +0.0 (zero, 01B), the rest empty (11B).
  assert.match(get(list, 'FTW').value, /^0x1fff /);
  const tags = Object.fromEntries(children(v, get(list, 'FTW')).map((c) => [c.name, c.value]));
  assert.equal(tags.TAG7, '0 (valid)');
  assert.equal(tags.TAG6, '1 (zero)');
  assert.equal(tags.TAG0, '3 (empty)');
  // ST(0) = R6 = +0.0, ST(1) = R7 = 1.0 = 3FFF 8000000000000000h (SDM Vol.1 §4.2.2).
  assert.equal(get(list, 'ST0').value, '0 (0x00000000000000000000, zero)');
  assert.equal(get(list, 'ST1').value, '1 (0x3fff8000000000000000, valid)');
  assert.match(get(list, 'ST2').value, /^empty .*, empty\)$/);
  assert.deepEqual(get(list, 'ST0').presentationHint, { attributes: ['readOnly'] });
  // FOP of FLDZ (D9 EE): low 3 bits of D9 and the ModR/M byte EE (SDM Vol.1 §8.1.9, Figure 8-9).
  assert.equal(get(list, 'FOP').value, '0x1ee (d9 ee)');
  // FIP: FLDZ's offset, the last non-control x87 instruction (LDMXCSR is SSE).
  const fldz = label(d, 'loaded') - 7 - 2; // ldmxcsr disp32(%rip) is 7 bytes, fldz 2
  assert.equal(get(list, 'FIP').value, '0x' + fldz.toString(16));
  // MXCSR as loaded: FZ (15), RC = 10b (14:13), masks 12:7, DAZ (6) — SDM Vol.1 §10.2.3, Figure 10-3.
  const mxcsr = get(list, 'MXCSR');
  assert.match(mxcsr.value, /^0x0000dfc0 \[DAZ IM DM ZM OM UM PM FZ RC=2 \(up\)\]$/);
  const f = Object.fromEntries(children(v, mxcsr).map((c) => [c.name, c.value]));
  assert.deepEqual([f.FZ, f.DAZ, f.RC, f.IM, f.PM, f.IE], ['1', '1', '2 (up)', '1', '1', '0']);
  assert.deepEqual(children(v, get(list, 'FCW')).map((c) => c.name), ['IM', 'DM', 'ZM', 'OM', 'UM', 'PM', 'PC', 'RC', 'X']);
  assert.deepEqual(children(v, get(list, 'FSW')).map((c) => c.name), ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE', 'SF', 'ES', 'C0', 'C1', 'C2', 'TOP', 'C3', 'B']);
  // IA-32e mode: XMM0–XMM15 (SDM Vol.1 §10.2.2).
  assert.equal(list.filter((x) => /^XMM\d+$/.test(x.name)).length, 16);
  const xmm0 = children(v, get(list, 'XMM0'));
  assert.deepEqual(xmm0.map((c) => c.name), ['u32', 'u64', 'u8', 'f32', 'f64']);
  assert.equal(children(v, get(xmm0, 'u8')).length, 16);
  assert.equal(get(list, 'ST1').evaluateName, '$st1');
});

test('evaluate: st0…st7, fcw fsw ftw mxcsr, their fields, xmm lanes', () => {
  const d = bootFpu();
  assert.equal(evalText(d, '$st1'), '1');
  assert.equal(evalText(d, 'st0'), '0');
  assert.equal(evalText(d, 'fcw'), '0x37f');
  assert.equal(evalText(d, 'fctrl'), '0x37f', "GDB's name");
  assert.equal(evalText(d, 'fsw.top'), '6');
  assert.equal(evalText(d, 'ftw'), '0x1fff');
  assert.equal(evalText(d, 'mxcsr'), '0xdfc0');
  assert.equal(evalText(d, 'mxcsr.rc'), '2');
  assert.equal(evalText(d, 'fcw.rc'), '0');
  assert.equal(evalText(d, 'fcw.pc == 3'), 'true');
  assert.equal(evalText(d, 'xmm0'), '0x' + '0'.repeat(32));
  assert.equal(evalText(d, 'xmm0.u32[1]'), '0x0');
  const bad = evaluate(d, 'xmm0.u32[4]');
  assert.ok('error' in bad && /elements 0\.\.3/.test(bad.error), JSON.stringify(bad));
  const noIndex = evaluate(d, 'xmm0.u32');
  assert.ok('error' in noIndex && /needs an element index/.test(noIndex.error));
  const field = evaluate(d, 'fcw.foo');
  assert.ok('error' in field && /unknown field 'foo'/.test(field.error));
});

test('edits: fields, lanes; the guest FXSAVE stores them; MXCSR reserved bits refused as LDMXCSR would #GP(0)', () => {
  const d = bootFpu();
  const v = new Variables(d);
  const list = scopeVars(v);
  // setVariable on a field under FCW, on MXCSR as a whole, on an XMM lane (integer and float).
  const fcwRef = get(list, 'FCW').variablesReference;
  const rc = v.setVariable(fcwRef, 'RC', '3');
  assert.ok(!('error' in rc), JSON.stringify(rc));
  assert.equal(rc.value, '3 (toward zero)');
  const refused = v.setVariable(v.scopes().find((s) => s.name === 'x87/SSE')!.variablesReference, 'MXCSR', '0x1dfc0');
  assert.ok('error' in refused && /#GP\(0\)/.test(refused.error) && /LDMXCSR/.test(refused.error), JSON.stringify(refused));
  assert.equal(evalText(d, 'mxcsr'), '0xdfc0', 'nothing changed');
  const u32 = get(children(v, get(list, 'XMM0')), 'u32');
  assert.ok(!('error' in v.setVariable(u32.variablesReference, '[1]', '0xdeadbeef')));
  const f64 = get(children(v, get(scopeVars(v), 'XMM1')), 'f64');
  const set = v.setVariable(f64.variablesReference, '[0]', '1.5');
  assert.ok(!('error' in set), JSON.stringify(set));
  assert.equal(set.value, '1.5 (0x3ff8000000000000)');
  // Through assignments (REPL / setExpression).
  assert.deepEqual(assign(d, 'mxcsr.rc = 3'), { display: 'mxcsr.rc = 3' });
  const wide = assign(d, 'mxcsr.fz = 2');
  assert.ok('error' in wide && /1 bit wide/.test(wide.error));
  assert.ok(!('error' in assign(d, '$xmm2.v4_int32[3] = 0x11223344')));
  assert.ok(!('error' in assign(d, 'xmm3.f32[0] = -2.5')));
  assert.ok('error' in assign(d, 'st0 = 1'), 'ST registers are not written');
  assert.ok('error' in assign(d, 'fop = 1'), 'FOP is read-only');
  runTo(d, label(d, 'saved'));
  // FXSAVE image (SDM Vol.2A FXSAVE, Table 3-56): FCW at 0, MXCSR at 24, XMM0 at 160, 16 bytes each.
  const image = d.readPhysical(label(d, 'image'), 512);
  const view = new DataView(image.buffer, image.byteOffset, 512);
  assert.equal(view.getUint16(0, true), 0x0f7f, 'FCW with RC = 11b');
  assert.equal(view.getUint32(24, true), 0xffc0, 'MXCSR with RC = 11b');
  assert.equal(view.getUint32(160 + 4, true), 0xdeadbeef, 'XMM0 lane 1');
  assert.equal(view.getFloat64(176, true), 1.5, 'XMM1 f64 lane 0');
  assert.equal(view.getUint32(192 + 12, true), 0x11223344, 'XMM2 lane 3');
  assert.equal(view.getFloat32(208, true), -2.5, 'XMM3 f32 lane 0');
});

test('host: LDMXCSR of the value the debugger refused raises #GP(0) (SDM Vol.2A LDMXCSR)', (t) => {
  const skip = hostCpuAvailable();
  if (skip) { t.skip(skip); return; }
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, 0x1dfc0, true);
  // ldmxcsr (%rdi)
  const [r] = runOnHost([{ mode: 64, code: new Uint8Array([0x0f, 0xae, 0x17]), regs: hostRegs({ rdi: DATA }), rflags: 0, data: { offset: 0, bytes } }]);
  assert.equal(r.fault?.vector, 13);
  assert.equal(r.fault?.errorCode, 0);
  const d = bootFpu();
  const e = assign(d, 'mxcsr = 0x1dfc0');
  assert.ok('error' in e && /would raise #GP\(0\)/.test(e.error));
});

test('XMM8–XMM15 are listed in IA-32e mode only; they still evaluate in protected mode (SDM Vol.1 §10.2.2)', () => {
  const d = bootDebuggee('prot.S', '\t.code32\nstart:\n\tnop\nhere:\n\thlt\n', { boot: 'protected', load: 0x100000 });
  runTo(d, label(d, 'here'));
  const names = scopeVars(new Variables(d)).map((x) => x.name).filter((n) => n.startsWith('XMM'));
  assert.deepEqual(names, ['XMM0', 'XMM1', 'XMM2', 'XMM3', 'XMM4', 'XMM5', 'XMM6', 'XMM7']);
  assert.equal(evalText(d, 'xmm15'), '0x' + '0'.repeat(32));
  assert.equal((replCommand(d, 'info sse') ?? '').split('\n').length, 9, 'MXCSR and 8 registers');
});

test('info float and info sse; completions of x87/SSE names', () => {
  const d = bootFpu();
  const float = replCommand(d, 'info float') ?? '';
  assert.match(float, /^=>R6:\s+ST\(0\)\s+zero\s+0x00000000000000000000\s+0$/m);
  assert.match(float, /^ {2}R7:\s+ST\(1\)\s+valid\s+0x3fff8000000000000000\s+1$/m);
  assert.match(float, /^ {2}R5:\s+ST\(7\)\s+empty/m);
  assert.match(float, /^Status Word:\s+0x3000\s+TOP=6$/m);
  assert.match(float, /^Control Word:\s+0x037f\s+IM DM ZM OM UM PM/m);
  assert.match(float, /^Tag Word:\s+0x1fff/m);
  assert.match(float, /^Opcode:\s+0x01ee\s+\(d9 ee\)$/m);
  assert.ok(!('error' in assign(d, 'xmm1.u32[0] = 0x3f800000')));
  const sse = replCommand(d, 'info sse xmm1') ?? '';
  assert.match(sse, /^MXCSR 0x0000dfc0 \[DAZ IM DM ZM OM UM PM FZ RC=2 \(up\)\]$/m);
  assert.match(sse, /^xmm1\s+0x0000000000000000000000003f800000\s+u32 \{0x3f800000, 0x0, 0x0, 0x0\}\s+f32 \{1, 0, 0, 0\}/m);
  assert.equal((replCommand(d, 'info vector') ?? '').split('\n').length, 17, 'MXCSR and 16 registers');
  assert.match(replCommand(d, 'info sse st0') ?? '', /not an XMM register/);
  assert.match(replCommand(d, 'help') ?? '', /info float/);
  const regs = replCommand(d, 'info registers fcw st1 mxcsr') ?? '';
  assert.match(regs, /^fcw\s+0x37f\s+\[ IM DM ZM OM UM PM PC=3 \]$/m);
  assert.match(regs, /^st1\s+0x3fff8000000000000000\s+1$/m);
  assert.match(regs, /^mxcsr\s+0xdfc0\s+\[ DAZ IM DM ZM OM UM PM RC=2 FZ \]$/m);
  const labels = replCompletions(d, 'mxcsr.r', 8).map((c) => c.label);
  assert.deepEqual(labels, ['mxcsr.rc']);
  assert.ok(replCompletions(d, 'xm', 3).some((c) => c.label === 'xmm15'));
});
