// shift.diff.test.ts: SHL/SAL (incl. the /6 alias), SHR, SAR, ROL, ROR, RCL, RCR and SHLD/SHRD in every
// form and size, register and memory operands, against the host CPU.
import { test } from 'node:test';
import { FORMS } from '../../emulator/isa/table';
import { Form } from '../../emulator/isa/form';
import { HostCase, caseBudget, differential, hostCpuAvailable, randomValue, rng } from '../support/differential';
import { freeRegs, hasRm, makeCase, pick, putData, randomData, randomFlags, randomRegs } from './bitGroupCases';

const COUNTS = [0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65];
const OF = 0x800, AF = 0x10, CF = 0x1, ARITH = 0x8d5;

function countOf(f: Form, c: HostCase, imm: number): number {
  if (f.name.includes('_1')) return 1;
  if (f.name.includes('_cl')) return Number(BigInt(c.regs[1]) & 0xffn);
  return imm & 0xff;
}

/**
 * Flags the SDM leaves undefined for this shift/rotate and count (SDM Vol.2 "SAL/SAR/SHL/SHR—Shift",
 * Flags: OF only defined for 1-bit shifts, AF undefined for a non-zero count, CF undefined for SHL/SHR
 * when the count ≥ the operand size; "RCL/RCR/ROL/ROR—Rotate", Flags: OF only defined for 1-bit rotates;
 * "SHLD"/"SHRD", Flags: OF only for 1-bit shifts, AF undefined when a shift occurs, all flags undefined
 * when the count exceeds the operand size). A masked count of 0 affects no flags.
 */
function undefinedFlags(f: Form, count: number): number {
  const size = f.opSize;
  const mc = count & (size === 64 ? 63 : 31);
  if (mc === 0) return 0;
  const m = f.mnemonic;
  let u = mc === 1 ? 0 : OF;
  if (m === 'shl' || m === 'sal' || m === 'shr' || m === 'sar' || m === 'shld' || m === 'shrd') u |= AF;
  if ((m === 'shl' || m === 'sal' || m === 'shr') && mc >= size) u |= CF;
  if ((m === 'shld' || m === 'shrd') && mc > size) u |= ARITH;
  return u;
}

interface Built {
  cases: HostCase[]; names: string[]; counts: number[];
  /** SHLD/SHRD r/m16 with a count above 16, destination RAX. */
  wide: HostCase[]; wideNames: string[];
}

function build(forms: Form[], mode: 64 | 32, perForm: number, next: () => number): Built {
  const b: Built = { cases: [], names: [], counts: [], wide: [], wideNames: [] };
  const free = freeRegs(mode);
  for (const f of forms) {
    for (let n = 0; n < perForm; n++) {
      const count = n < COUNTS.length ? COUNTS[n] : n % 3 === 0 ? Math.floor(next() * 256) : Math.floor(next() * 70);
      const useMem = hasRm(f) && n % 2 === 1;
      const byCl = f.name.includes('_cl');
      const notCx = free.filter((r) => !byCl || r !== 1);
      const regs = randomRegs(next);
      if (byCl) regs[1] = (randomValue(next) & ~0xffn) | BigInt(count);
      const dbl = f.mnemonic === 'shld' || f.mnemonic === 'shrd';
      // SHLD/SHRD r/m16 with a count above 16: the result is undefined (SDM SHLD/SHRD, Description), so
      // these run separately with the destination fixed to RAX and RAX left out of the comparison.
      const undefinedResult = dbl && f.opSize === 16 && (count & 31) > 16;
      const rm = undefinedResult ? 0 : useMem ? -1 : pick(next, notCx);
      const reg = pick(next, notCx);
      const data = randomData(next);
      if (n % 5 === 0) putData(data, 0x48, randomValue(next));
      const c = makeCase(f, { reg, rm, imm: count, regs, rflags: randomFlags(next), data }, next, mode);
      const cnt = countOf(f, c, count);
      if (undefinedResult) {
        b.wide.push(c); b.wideNames.push(`${f.name} count ${cnt}`);
      } else {
        b.cases.push(c); b.names.push(`${f.name} count ${cnt}`); b.counts.push(cnt);
      }
    }
  }
  return b;
}

function check(forms: Form[], b: Built, seed: number): string {
  const byName = new Map(forms.map((f) => [f.name, f]));
  const formOf = (s: string) => byName.get(s.split(' ')[0])!;
  const n1 = differential(b.cases, {
    seed,
    describe: (_c, k) => b.names[k],
    undefinedFlags: (_c, k) => undefinedFlags(formOf(b.names[k]), b.counts[k]),
  });
  const n2 = differential(b.wide, {
    seed,
    describe: (_c, k) => b.wideNames[k],
    regsMask: 0xfffe,
    // SDM SHLD/SHRD Flags: "If the count is greater than the operand size, the flags are undefined."
    undefinedFlags: () => ARITH,
  });
  return `${n1 + n2} cases over ${forms.length} forms (${n2} SHLD/SHRD r/m16 cases with count > 16, result masked)`;
}

const GROUP = /^(rol|ror|rcl|rcr|shl|shr|sal|sar|shld|shrd)_/;

test('shift and rotate group matches the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x5f1;
  const forms = FORMS.filter((f) => GROUP.test(f.name));
  const perForm = Math.max(COUNTS.length + 4, Math.ceil(caseBudget(3500) / forms.length));
  t.diagnostic(check(forms, build(forms, 64, perForm, rng(seed)), seed));
});

test('shift and rotate group matches the host CPU (32-bit mode, 8/16/32-bit forms)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x5f2;
  const forms = FORMS.filter((f) => GROUP.test(f.name) && f.opSize !== 64);
  const perForm = Math.max(COUNTS.length + 2, Math.ceil(caseBudget(1200) / forms.length));
  t.diagnostic(check(forms, build(forms, 32, perForm, rng(seed)), seed));
});
