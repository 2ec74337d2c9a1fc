// table.test.ts: the instruction table is consistent — every form has a handler, every handler a
// form, and every row decodes back to itself from the bytes the table says it has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMS } from '../../emulator/isa/table';
import { formsWithoutHandler, handlersWithoutForm } from '../../emulator/cpu/exec/index';
import { decode } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { CodeSize } from '../../emulator/cpu/state';
import { CpuFeatures, FEATURE_BITS } from '../../emulator/cpu/features';
import { Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';

test('every form has a handler and every handler a form', () => {
  assert.deepEqual(formsWithoutHandler(), []);
  assert.deepEqual(handlersWithoutForm(), []);
});

test('every row decodes back to itself (register and memory operands, each valid mode)', () => {
  const features = new CpuFeatures(FEATURE_BITS.map((f) => f.name)); // every CPUID-gated row decodes
  const problems: string[] = [];
  for (const f of FORMS) {
    for (const mode of [16, 32, 64] as const) {
      if (f.i64 && mode === 64 || f.o64 && mode !== 64) continue;
      if (f.vex && mode === 16) continue;
      if (f.opSize === 64 && mode !== 64) continue;
      if (f.addrSize === 64 && mode !== 64 || f.addrSize !== 0 && mode === 64 && f.addrSize === 16) continue;
      const mem = f.rmKind === 1 || f.operands.some((o) => o.loc === Loc.Rm);
      const bytes = encode(f, mode, { reg: 1, rm: f.rmKind === 1 ? -1 : 2, mem: { base: mode === 16 ? 3 : 3, disp: 4 }, imms: [1, 2, 3], opReg: 2, vvvv: 3 });
      const i = new Insn(() => undefined, f);
      decode({ byte: (k) => bytes[k] ?? 0 }, mode === 16 ? CodeSize.Bits16 : mode === 32 ? CodeSize.Bits32 : CodeSize.Bits64, 0, 0, features, i);
      if (i.form !== f || i.len !== bytes.length) {
        problems.push(`${f.name} (${mode}-bit${mem ? ', memory' : ''}): ${Buffer.from(bytes).toString('hex')} decoded as ${i.form.name}, ${i.len} bytes`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
