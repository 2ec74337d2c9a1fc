// muldiv.diff.test.ts: MUL, IMUL (one-, two- and three-operand), DIV and IDIV in every form and size,
// register and memory operands, including #DE (divide by zero, quotient overflow), against the host CPU.
import { test } from 'node:test';
import { FORMS } from '../../emulator/isa/table';
import { Form } from '../../emulator/isa/form';
import { HostCase, caseBudget, cornerValues, differential, hostCpuAvailable, randomValue, rng } from '../support/differential';
import { runOnHost } from '../host/hostCpu';
import { freeRegs, hasRm, makeCase, pick, putData, randomData, randomFlags, randomRegs } from './bitGroupCases';

const ARITH = 0x8d5, CF_OF = 0x801;

/** A value of `size` bits (as unsigned bigint) biased to corner values. */
function val(next: () => number, size: number): bigint {
  return BigInt.asUintN(size, randomValue(next));
}

interface Built { cases: HostCase[]; names: string[] }

/** Cases for `forms` in `mode`: random and corner operands, dividends shaped to mostly avoid #DE. */
function build(forms: Form[], mode: 64 | 32, perForm: number, next: () => number): Built {
  const cases: HostCase[] = [], names: string[] = [];
  const corners = cornerValues();
  const free = freeRegs(mode);
  for (const f of forms) {
    const size = f.opSize;
    const isDiv = f.mnemonic === 'div' || f.mnemonic === 'idiv';
    const oneOp = f.operands.length === 1;
    for (let n = 0; n < perForm; n++) {
      const useMem = hasRm(f) && n % 2 === 1;
      // One-operand forms use RAX and RDX implicitly: keep the r/m operand elsewhere most of the time.
      const rmPool = oneOp && n % 7 !== 3 ? free.filter((r) => r !== 0 && r !== 2) : free;
      const rm = useMem ? -1 : pick(next, rmPool);
      const reg = pick(next, free);
      const regs = randomRegs(next);
      const data = randomData(next);
      let src = n < corners.length ? BigInt.asUintN(size, corners[n]) : val(next, size);
      if (isDiv) {
        const half = size === 8 ? 8 : size;
        const kind = n % 6;
        if (kind === 0) src = 0n; // #DE: divide by zero
        else if (src === 0n) src = 1n;
        if (f.mnemonic === 'div' && kind >= 2) {
          // High half below the divisor: the quotient fits (no #DE).
          const hiv = BigInt.asUintN(half, val(next, half)) % src;
          if (size === 8) regs[0] = (regs[0] & ~0xffffn) | (hiv << 8n) | val(next, 8);
          else if (size === 64) regs[2] = hiv;
          else regs[2] = (regs[2] & ~((1n << BigInt(size)) - 1n)) | hiv;
        } else if (f.mnemonic === 'idiv' && kind >= 2) {
          // Sign-extended dividend (CWD/CDQ/CQO-like), and the most negative one over −1 (#DE).
          const lo = kind === 5 ? 1n << BigInt(size - 1) : val(next, size);
          if (kind === 5) src = BigInt.asUintN(size, -1n);
          const neg = (lo >> BigInt(size - 1)) & 1n;
          const hiv = neg ? (1n << BigInt(size)) - 1n : 0n;
          if (size === 8) regs[0] = (regs[0] & ~0xffffn) | (BigInt.asUintN(8, hiv) << 8n) | lo;
          else {
            const m = (1n << BigInt(size)) - 1n;
            regs[0] = size === 64 ? lo : (regs[0] & ~m) | lo;
            regs[2] = size === 64 ? hiv : (regs[2] & ~m) | hiv;
          }
        }
      }
      if (useMem) putData(data, 0x48, src);
      else if (rm !== 0 && rm !== 2 || !isDiv) regs[rm] = size === 64 ? src : (regs[rm] & ~((1n << BigInt(size)) - 1n)) | src;
      const imm = Number(BigInt.asIntN(32, randomValue(next)));
      cases.push(makeCase(f, { reg, rm, imm, regs, rflags: randomFlags(next), data }, next, mode));
      names.push(f.name);
    }
  }
  return { cases, names };
}

function check(b: Built, seed: number): string {
  const n = differential(b.cases, {
    seed,
    describe: (_c, k) => b.names[k],
    undefinedFlags: (_c, k) => {
      const m = b.names[k].split('_')[0];
      // SDM DIV/IDIV Flags: "The CF, OF, SF, ZF, AF, and PF flags are undefined."
      if (m === 'div' || m === 'idiv') return ARITH;
      // SDM MUL/IMUL Flags: "The SF, ZF, AF, and PF flags are undefined."
      return ARITH & ~CF_OF;
    },
  });
  // How many raise #DE on the host (vector 0), so a change that stops exercising it shows.
  const de = runOnHost(b.cases).filter((h) => h.fault?.vector === 0).length;
  return `${n} cases, ${de} of them #DE on the host`;
}

const GROUP = /^(mul|imul|div|idiv)_/;

test('multiply/divide group matches the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x3d1;
  const forms = FORMS.filter((f) => GROUP.test(f.name));
  const b = build(forms, 64, Math.max(20, Math.ceil(caseBudget(3000) / forms.length)), rng(seed));
  t.diagnostic(`${check(b, seed)} over ${forms.length} forms`);
});

test('multiply/divide group matches the host CPU (32-bit mode, 8/16/32-bit forms)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x3d2;
  const forms = FORMS.filter((f) => GROUP.test(f.name) && f.opSize !== 64);
  const b = build(forms, 32, Math.max(12, Math.ceil(caseBudget(800) / forms.length)), rng(seed));
  t.diagnostic(`${check(b, seed)} over ${forms.length} forms`);
});
