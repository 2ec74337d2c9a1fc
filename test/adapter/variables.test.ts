// variables.test.ts: the DAP scopes/variables/setVariable views of the processor (adapter/variables.ts).
// Expected values come from the test programs (what they compute and store, their labels), the lvl5
// example's GDT as written in its source, and the SDM's layouts (cited); edits are checked by what the
// guest observes afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Variables } from '../../adapter/variables';
import type { Debuggee } from '../../adapter/debuggee';
import { bootDebuggee, bootExample, bootRegs, label, result, runTo } from './debuggeeFixture';

const LVL5 = { boot: 'long' as const, load: 0x1_0000_0000, paging: 4 as const };

function scope(v: Variables, name: string): number {
  const s = v.scopes().find((x) => x.name === name);
  assert.ok(s, `scope ${name}`);
  return s.variablesReference;
}

function child(v: Variables, ref: number, name: string): DebugProtocol.Variable {
  const x = v.variables(ref).find((c) => c.name === name);
  assert.ok(x, `variable ${name} in ${ref}: ${v.variables(ref).map((c) => c.name).join(', ')}`);
  return x;
}

/** Follows a path of names from a scope: child(child(scope, a), b)... */
function at(v: Variables, scopeName: string, ...path: string[]): DebugProtocol.Variable {
  let ref = scope(v, scopeName);
  let x: DebugProtocol.Variable | undefined;
  for (const p of path) {
    x = child(v, ref, p);
    ref = x.variablesReference;
  }
  assert.ok(x);
  return x;
}

const fields = (v: Variables, x: DebugProtocol.Variable): Record<string, string> =>
  Object.fromEntries(v.variables(x.variablesReference).map((c) => [c.name, c.value]));

test('scopes: the eight views, register scopes hinted as registers', () => {
  const v = new Variables(bootRegs());
  const s = v.scopes();
  assert.deepEqual(s.map((x) => x.name), ['General', 'Segments', 'Control', 'MSRs', 'x87/SSE', 'Descriptor tables', 'Mode', 'Stack']);
  assert.equal(s[0].presentationHint, 'registers');
  assert.equal(new Set(s.map((x) => x.variablesReference)).size, 8);
  assert.deepEqual(v.scopes().map((x) => x.variablesReference), s.map((x) => x.variablesReference), 'stable until reset');
});

test('General: 16-digit hex values, memory references, RFLAGS flags as children', () => {
  const d = bootRegs();
  const v = new Variables(d);
  assert.equal(at(v, 'General', 'RAX').value, '0x8877665544332211');
  assert.equal(at(v, 'General', 'R9').value, '0x0000000012345678');
  const rip = at(v, 'General', 'RIP');
  assert.equal(rip.memoryReference, '0x' + label(d, 'in_func').toString(16));
  const rsp = at(v, 'General', 'RSP');
  assert.equal(rsp.memoryReference, rsp.value.replace(/^0x0*/, '0x'));
  const flags = fields(v, at(v, 'General', 'RFLAGS'));
  // cmp $1, %r10d sets ZF and PF, std sets DF (SDM Vol.1 Appendix A).
  assert.equal(flags.ZF, '1');
  assert.equal(flags.PF, '1');
  assert.equal(flags.DF, '1');
  assert.equal(flags.CF, '0');
  assert.equal(flags.IOPL, '0');
});

test('setVariable through a flag child reaches the guest (SETC)', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const ref = at(v, 'General', 'RFLAGS').variablesReference;
  assert.deepEqual(v.setVariable(ref, 'CF', 'true'), { value: '1', variablesReference: 0 });
  assert.deepEqual(v.setVariable(ref, 'CF', 'maybe'), { error: "RFLAGS.CF: 'maybe' is not 0, 1, true or false" });
  assert.match((v.setVariable(ref, 'VM', '1') as { error: string }).error, /VM changes only through IRET/);
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 2), 1n);
});

test('setVariable on registers: hex, decimal, labels; errors leave the value', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const general = scope(v, 'General');
  assert.equal((v.setVariable(general, 'RBX', '0x10') as { value: string }).value, '0x0000000000000010');
  assert.equal((v.setVariable(general, 'RBX', '4096') as { value: string }).value, '0x0000000000001000');
  assert.equal((v.setVariable(general, 'RBX', 'handler0') as { value: string }).value, '0x' + label(d, 'handler0').toString(16).padStart(16, '0'));
  assert.match((v.setVariable(general, 'RBX', 'nonsense!') as { error: string }).error, /not a number/);
  assert.match((v.setVariable(general, 'RAX', '0x1' + '0'.repeat(16)) as { error: string }).error, /does not fit/);
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 1), BigInt(label(d, 'handler0')));
  assert.equal(result(d, 0), 0x8877665544332211n);
});

test('Stack: slots in the stack width, symbolised; a slot write reaches the guest', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const stack = v.variables(scope(v, 'Stack'));
  assert.equal(stack.length, 32);
  // call func pushed the address of after_call; before it, pushq $0x1234 (SDM Vol.2A CALL, PUSH).
  assert.equal(stack[0].name, '[rsp]');
  assert.equal(stack[0].value, `0x${label(d, 'after_call').toString(16).padStart(16, '0')} <after_call>`);
  assert.equal(stack[1].name, '[rsp+0x8]');
  assert.equal(stack[1].value, '0x0000000000001234');
  assert.equal(stack[1].memoryReference, '0x' + (d.cpu.lo[4] + 8).toString(16));
  assert.equal((v.setVariable(scope(v, 'Stack'), '[rsp+0x8]', '0x4321') as { value: string }).value, '0x0000000000004321');
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 3), 0x4321n, 'popq %r11 after the return');
});

test('Stack in real mode: 16-bit slots at SS:SP', () => {
  const d = bootDebuggee('real.S', '\t.code16\nstart:\n\tpushw\t$0xbeef\n\tnop\n\thlt\n', { boot: 'real', load: 0x7c00 });
  d.machine.step();
  const v = new Variables(d);
  const stack = v.variables(scope(v, 'Stack'));
  assert.equal(stack[0].name, '[sp]');
  assert.equal(stack[0].value, '0xbeef');
  assert.equal(stack[0].memoryReference, '0x7bfe');
  assert.equal(stack[1].name, '[sp+0x2]');
  assert.equal(at(v, 'Mode', 'CPU mode').value, 'real');
});

test('Control: CR4 bits as children; LA57 cannot be set in IA-32e mode; after lvl5 it reads 1', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  const v = new Variables(d);
  const cr4 = at(v, 'Control', 'CR4');
  assert.equal(cr4.value, '0x0000000000000020 [PAE]', 'PAE only, as the long boot state sets it');
  const r = v.setVariable(cr4.variablesReference, 'LA57', '1');
  assert.deepEqual(r, { error: 'mov to CR4 would raise #GP(0): LA57 cannot change while IA-32e mode is active' });
  assert.equal(fields(v, cr4).LA57, '0');
  assert.equal(d.cpu.cr4, 0x20);
  runTo(d, label(d, 'lvl5'));
  v.reset();
  const after = at(v, 'Control', 'CR4');
  assert.equal(after.value, '0x0000000000001020 [PAE LA57]');
  assert.equal(fields(v, after).LA57, '1');
  const la57 = v.variables(after.variablesReference).find((c) => c.name === 'LA57');
  assert.equal(la57?.type, 'CR4.LA57 (bit 12): 57-bit linear addresses (5-level paging)');
  assert.equal(la57?.evaluateName, '$cr4.LA57');
  const efer = fields(v, at(v, 'MSRs', 'IA32_EFER'));
  assert.equal(efer.LMA, '1');
  assert.equal(efer.LME, '1');
  const cr3 = fields(v, at(v, 'Control', 'CR3'));
  assert.equal(cr3.ADDRESS, '0x7000', 'LVL5_PGTABLE');
  assert.equal(cr3.PCID, undefined, 'CR4.PCIDE=0: PWT/PCD, not PCID (SDM Vol.3A §4.5)');
  const mode = fields(v, { name: '', value: '', variablesReference: scope(v, 'Mode') });
  assert.equal(mode['CPU mode'], 'long64');
  assert.equal(mode.paging, '5-level');
  assert.equal(mode['address width'], '57 bits');
});

test('Control: clearing the PG child in 64-bit mode is refused', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  const v = new Variables(d);
  const cr0 = at(v, 'Control', 'CR0');
  const r = v.setVariable(cr0.variablesReference, 'PG', '0') as { error: string };
  assert.match(r.error, /^mov to CR0 would raise #GP\(0\): clearing PG in 64-bit mode/);
  assert.equal(at(v, 'Control', 'CR0').value, cr0.value);
});

function gdtEntries(v: Variables): DebugProtocol.Variable[] {
  const entries = at(v, 'Descriptor tables', 'GDTR', 'entries');
  assert.equal(entries.indexedVariables, 4, 'limit 0x1f: four descriptors');
  return v.variables(entries.variablesReference, 'indexed');
}

test('Descriptor tables: the example GDT decoded (SDM Vol.3A §3.4.5, Table 3-1)', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  runTo(d, 0x7c00);
  const v = new Variables(d);
  assert.equal(at(v, 'Descriptor tables', 'GDTR').value, `base=0x${label(d, 'gdt').toString(16)} limit=0x1f`);
  const e = gdtEntries(v);
  assert.deepEqual(e.map((x) => x.name), ['[0x0000]', '[0x0008]', '[0x0010]', '[0x0018]']);
  assert.equal(e[0].value, '0x0000000000000000 (null)');
  // 0x00cf9a000000ffff, with the accessed bit the far return set when it loaded CS (SDM Vol.3A §3.4.5.1).
  assert.match(e[1].value, /^0x00cf9b000000ffff code execute\/read, accessed base=0x0 limit=0xffffffff DPL=0 P G D$/);
  const kernel32 = fields(v, e[1]);
  assert.equal(kernel32.base, '0x0');
  assert.equal(kernel32.limit, '0xffffffff');
  assert.equal(kernel32.DPL, '0');
  assert.equal(kernel32.G, '1');
  assert.equal(kernel32['D/B'], '1');
  assert.equal(kernel32.L, '0');
  // 0x00af9a000000ffff (not loaded yet): 64-bit code.
  assert.equal(e[2].value.slice(0, 18), '0x00af9a000000ffff');
  const kernel = fields(v, e[2]);
  assert.equal(kernel.L, '1');
  assert.equal(kernel['D/B'], '0');
  assert.equal(kernel.type, '10 (code execute/read)');
  assert.equal(e[3].value.slice(0, 18), '0x00cf92000000ffff');
  // Paging through the entries.
  assert.deepEqual(v.variables(at(v, 'Descriptor tables', 'GDTR', 'entries').variablesReference, 'indexed', 2, 1).map((x) => x.name), ['[0x0010]']);
  // Segments: CS is 0x08 (compatibility mode), its cache has D=1 L=0, and the descriptor behind it.
  const cs = at(v, 'Segments', 'CS');
  assert.match(cs.value, /^0x0008 \(index 1, GDT, RPL 0/);
  const csf = fields(v, cs);
  assert.equal(csf['D/B'], '1');
  assert.equal(csf.L, '0');
  assert.equal(csf['descriptor in memory (GDT[1])'].slice(0, 18), '0x00cf9b000000ffff');
});

test('Segments in 64-bit mode: CS.L=1; a selector edit goes through MOV Sreg checks', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const cs = fields(v, at(v, 'Segments', 'CS'));
  assert.equal(cs.L, '1');
  assert.equal(cs['D/B'], '0');
  const segs = scope(v, 'Segments');
  assert.deepEqual(v.setVariable(segs, 'SS', '0x08'), { error: 'mov SS, 0x8 would raise #GP(0x8): SS needs a writable data segment at CPL' });
  assert.match((v.setVariable(segs, 'CS', '0x08') as { error: string }).error, /far jump/);
  assert.match((v.setVariable(segs, 'TR', '0x08') as { error: string }).error, /read-only/);
  assert.match((v.setVariable(segs, 'ES', '0x08') as { value: string }).value, /^0x0008 /);
});

test('Descriptor tables: the IDT gates the program built (SDM Vol.3A §6.14.1, Figure 6-8)', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const entries = at(v, 'Descriptor tables', 'IDTR', 'entries');
  assert.equal(entries.indexedVariables, 4, 'limit 63: four 16-byte gates');
  const gates = v.variables(entries.variablesReference);
  assert.match(gates[0].value, / 64-bit interrupt gate → 0x10:0x[0-9a-f]+ DPL=0 P$/);
  const g0 = fields(v, gates[0]);
  assert.equal(g0.selector, '0x0010 (index 2, GDT, RPL 0)');
  assert.equal(g0.offset, `0x${label(d, 'handler0').toString(16).padStart(8, '0')} <handler0>`);
  assert.equal(g0.IST, '0');
  assert.equal(gates[1].value, '0x0000000000000000:0x0000000000000000 (null)');
  const g3 = fields(v, gates[3]);
  assert.equal(g3.type, '15 (64-bit trap gate)');
  assert.equal(g3.DPL, '3');
  assert.equal(g3.IST, '1');
  assert.equal(g3.offset, `0x${label(d, 'handler3').toString(16).padStart(8, '0')} <handler3>`);
});

test('reset: references from before the stop are invalid', () => {
  const d: Debuggee = bootRegs();
  const v = new Variables(d);
  const ref = at(v, 'General', 'RFLAGS').variablesReference;
  v.reset();
  assert.deepEqual(v.variables(ref), []);
  assert.match((v.setVariable(ref, 'CF', '1') as { error: string }).error, /has run since/);
  assert.deepEqual(v.variables(9999), []);
});

test('TR: the 16-byte TSS descriptor and the TSS stacks (SDM Vol.3A §8.7, Figure 8-11)', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const tr = at(v, 'Segments', 'TR');
  assert.match(tr.value, /^0x0020 \(index 4, GDT, RPL 0/);
  const f = fields(v, tr);
  // LTR marks the TSS busy (SDM Vol.2A LTR): type 11, named from the IA-32e column of Table 3-2.
  assert.equal(f.type, '11 (64-bit TSS (busy))');
  assert.equal(f.limit, '0x67');
  assert.equal(f.base, '0x' + label(d, 'tss').toString(16));
  assert.match(f['descriptor in memory (GDT[4])'], /^0x0000000000000000:0x[0-9a-f]{16} 64-bit TSS \(busy\) base=0x[0-9a-f]+ limit=0x67 DPL=0 P$/);
  const tss = fields(v, at(v, 'Segments', 'TR', 'TSS'));
  assert.equal(tss.RSP0, '0xffff800000002000');
  assert.equal(tss.IST1, '0x' + label(d, 'ist_top').toString(16).padStart(16, '0'));
  assert.equal(tss.IST2, '0x0000000000000000');
  // GDT entries: the TSS takes slots 4 and 5 in IA-32e mode.
  const entries = at(v, 'Descriptor tables', 'GDTR', 'entries');
  assert.equal(entries.indexedVariables, 6);
  const list = v.variables(entries.variablesReference);
  assert.match(list[4].value, /64-bit TSS \(busy\)/);
  assert.match(list[5].value, /\(upper half of \[0x0020\]\)$/);
});

test('flag-like registers list the bits that are set; a copied value is accepted back', () => {
  const d = bootRegs();
  const v = new Variables(d);
  const rflags = at(v, 'General', 'RFLAGS');
  assert.equal(rflags.value, '0x0000000000000446 [PF ZF DF]');
  assert.equal(at(v, 'MSRs', 'IA32_EFER').value, '0x0000000000000d00 [LME LMA NXE]');
  const r = v.setVariable(scope(v, 'General'), 'RFLAGS', '0x0000000000000447 [CF PF ZF DF]');
  assert.equal((r as { value: string }).value, '0x0000000000000447 [CF PF ZF DF]');
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 2), 1n, 'SETC sees the CF written with the whole RFLAGS');
});
