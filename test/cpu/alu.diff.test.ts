// alu.diff.test.ts: ADD…CMP, TEST, INC, DEC, NOT, NEG in every form and size, against the host CPU.
import { test } from 'node:test';
import { FORMS } from '../../emulator/isa/table';
import { Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, randomValue, rng } from '../support/differential';

const GROUP = /^(add|or|adc|sbb|and|sub|xor|cmp|test|inc|dec|not|neg)_/;

test('ALU group matches the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xa1;
  const next = rng(seed);
  const forms = FORMS.filter((f) => GROUP.test(f.name) && !f.i64);
  const perForm = Math.max(4, Math.ceil(caseBudget(4000) / forms.length));
  const cases: HostCase[] = [];
  const names: string[] = [];
  for (const f of forms) {
    const hasMem = f.operands.some((o) => o.loc === Loc.Rm);
    for (let n = 0; n < perForm; n++) {
      const useMem = hasMem && n % 2 === 1;
      // Registers other than RSP (the stack) and RBX (the memory base).
      const pick = () => [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15][Math.floor(next() * 14)];
      const reg = pick(), rm = pick();
      const regs = hostRegs();
      for (const r of [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) regs[r] = randomValue(next);
      regs[3] = BigInt(DATA + 0x40);
      const imm = Number(BigInt.asIntN(32, randomValue(next)));
      const code = encode(f, 64, { reg, rm: useMem ? -1 : rm, mem: { base: 3, disp: 8 }, imms: [imm], opReg: rm });
      const data = new Uint8Array(256);
      for (let k = 0; k < 256; k++) data[k] = Math.floor(next() * 256);
      cases.push({ mode: 64, code, regs, rflags: Math.floor(next() * 0x1000) & 0x8d5, data: { offset: 0, bytes: data } });
      names.push(f.name);
    }
  }
  const n = differential(cases, {
    seed,
    describe: (_c, k) => names[k],
    // SDM: AND/OR/XOR/TEST leave AF undefined.
    undefinedFlags: (_c, k) => (/^(and|or|xor|test)_/.test(names[k]) ? 0x10 : 0),
  });
  t.diagnostic(`${n} cases over ${forms.length} forms`);
});
