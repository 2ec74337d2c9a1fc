// bit.diff.test.ts: BT/BTS/BTR/BTC (register and imm8 offsets, far bit offsets into memory), BSF, BSR,
// POPCNT, LZCNT, TZCNT and BMI1/BMI2 in every form and size, against the host CPU; and the decoding of
// F3 0F BC/BD with and without the CPUID features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMS } from '../../emulator/isa/table';
import { Form } from '../../emulator/isa/form';
import { decode } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { CodeSize } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { HostCase, caseBudget, cornerValues, differential, hostCpuAvailable, randomValue, rng } from '../support/differential';
import { freeRegs, hasRm, makeCase, pick, putData, randomData, randomFlags, randomRegs } from './bitGroupCases';

const OF = 0x800, SF = 0x80, AF = 0x10, PF = 0x4, CF = 0x1;

/** Flags the SDM leaves undefined, per instruction (SDM Vol.2, each instruction's "Flags Affected"). */
function undefinedFlags(f: Form): number {
  switch (f.mnemonic) {
    case 'bt': case 'bts': case 'btr': case 'btc': return OF | SF | AF | PF; // BT: "OF, SF, AF, and PF flags are undefined"
    case 'bsf': case 'bsr': return CF | OF | SF | AF | PF; // BSF/BSR: "CF, OF, SF, AF, and PF flags are undefined"
    case 'lzcnt': case 'tzcnt': return OF | SF | PF | AF; // LZCNT/TZCNT: "OF, SF, PF and AF flags are undefined"
    case 'andn': case 'blsi': case 'blsmsk': case 'blsr': case 'bzhi': return AF | PF; // "AF and PF flags are undefined"
    case 'bextr': return AF | SF | PF; // BEXTR: "AF, SF, and PF flags are undefined"
    default: return 0; // POPCNT defines all six; MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX affect none
  }
}

interface Built { cases: HostCase[]; names: string[] }

const GROUP = /^(bt|bts|btr|btc|bsf|bsr|popcnt|lzcnt|tzcnt|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx)_/;

function build(forms: Form[], mode: 64 | 32, perForm: number, next: () => number): Built {
  const cases: HostCase[] = [], names: string[] = [];
  const corners = cornerValues();
  const free = freeRegs(mode);
  // A 4 KiB DATA window with the memory operand in its middle, so register bit offsets of ±14000 bits
  // (SDM BT: Bit(BitBase, BitOffset) with a signed offset) stay inside the compared window.
  const baseOff = 0x800 - 8;
  for (const f of forms) {
    const bt = /^bt[src]?_/.test(f.name);
    for (let n = 0; n < perForm; n++) {
      const useMem = hasRm(f) && n % 2 === 1;
      const rm = useMem ? -1 : pick(next, free);
      let reg = pick(next, free);
      // RORX: VEX.vvvv must be 1111b (encoded register 0) or the instruction is #UD; test both.
      const vvvv = f.mnemonic === 'rorx' && n % 6 !== 5 ? 0 : pick(next, free);
      const regs = randomRegs(next, baseOff);
      const data = randomData(next, 4096);
      let src = n < corners.length ? corners[n] : randomValue(next);
      if (n % 9 === 4) src = 0n;
      if (useMem) putData(data, 0x800, src);
      else regs[rm] = src;
      let imm = Math.floor(next() * 256);
      if (bt) {
        imm = [0, 1, 7, 15, 16, 31, 32, 63, 64, 65, 255][n % 11] ?? imm;
        if (reg === rm) reg = pick(next, free.filter((r) => r !== rm));
        // Bit offset register: small, or signed and far from the operand (memory forms).
        const off = useMem ? BigInt(Math.floor(next() * 28000) - 14000) : randomValue(next);
        regs[reg] = BigInt.asUintN(64, off);
      }
      if (/^(bextr|bzhi)_/.test(f.name) && n % 3 !== 0) {
        // Control: start/index in bits 7:0 (and length in 15:8 for BEXTR), around the operand size.
        const a = BigInt(Math.floor(next() * 72)), b = BigInt(Math.floor(next() * 72));
        regs[vvvv] = (randomValue(next) & ~0xffffn) | (b << 8n) | a;
      }
      // LOCK: allowed on BTS/BTR/BTC with a memory destination; #UD with a register or on BT (SDM LOCK).
      const prefixes = !f.vex && (useMem && f.lock && n % 4 === 1 || n % 16 === 6) ? [0xf0] : [];
      cases.push(makeCase(f, { reg, rm, vvvv, imm, regs, rflags: randomFlags(next), data, baseOff, prefixes }, next, mode));
      names.push(f.name + (prefixes.length ? ' (lock)' : ''));
    }
  }
  return { cases, names };
}

function check(forms: Form[], b: Built, seed: number): string {
  const byName = new Map(forms.map((f) => [f.name, f]));
  const n = differential(b.cases, {
    seed,
    describe: (_c, k) => b.names[k],
    undefinedFlags: (_c, k) => undefinedFlags(byName.get(b.names[k].split(' ')[0])!),
  });
  const locked = b.names.filter((s) => s.endsWith('(lock)')).length;
  return `${n} cases over ${forms.length} forms (${locked} with LOCK)`;
}

test('bit group matches the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xb17;
  const forms = FORMS.filter((f) => GROUP.test(f.name));
  const perForm = Math.max(24, Math.ceil(caseBudget(3500) / forms.length));
  t.diagnostic(check(forms, build(forms, 64, perForm, rng(seed)), seed));
});

test('bit group matches the host CPU (32-bit mode, 16/32-bit forms)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xb18;
  const forms = FORMS.filter((f) => GROUP.test(f.name) && f.opSize !== 64);
  const perForm = Math.max(16, Math.ceil(caseBudget(900) / forms.length));
  t.diagnostic(check(forms, build(forms, 32, perForm, rng(seed)), seed));
});

test('F3 0F BC/BD decode as TZCNT/LZCNT with BMI1/ABM and as BSF/BSR (REP ignored) without', () => {
  const decodeWith = (bytes: number[], features: CpuFeatures) => {
    const i = new Insn(() => undefined, FORMS[0]);
    decode({ byte: (k) => bytes[k] ?? 0 }, CodeSize.Bits64, 0, 0, features, i);
    return i.form.name;
  };
  const all = new CpuFeatures();
  const none = CpuFeatures.parse('-bmi1,-abm,-popcnt') as CpuFeatures;
  assert.equal(decodeWith([0xf3, 0x0f, 0xbc, 0xc1], all), 'tzcnt_r32_rm32');
  assert.equal(decodeWith([0xf3, 0x0f, 0xbc, 0xc1], none), 'bsf_r32_rm32');
  assert.equal(decodeWith([0xf3, 0x48, 0x0f, 0xbd, 0xc1], all), 'lzcnt_r64_rm64');
  assert.equal(decodeWith([0xf3, 0x48, 0x0f, 0xbd, 0xc1], none), 'bsr_r64_rm64');
  assert.equal(decodeWith([0x66, 0xf3, 0x0f, 0xbc, 0xc1], all), 'tzcnt_r16_rm16');
  assert.equal(decodeWith([0xf3, 0x0f, 0xb8, 0xc1], none), '(bad)');
});
