// x87.test.ts: the x87 spellings boot code uses, against GNU as and objdump — the waiting forms (finit is
// 9B DB E3), the image-size names (fnstenvs, frstorl; Intel fnstenvw/d), the memory-format suffixes and
// GAS's default for an unsuffixed memory operand (with its warning), `fxch` alone, %st and %st(i), the
// arithmetic's implicit operands and AT&T's swapped fsub/fsubr, fdiv/fdivr names (Intel keeps the SDM's), and
// objdump's one-line listing of WAIT before an x87 instruction in both syntaxes. The table-generated lines
// (test/asm/corpus.ts, group x87) cover every row in every mode; these are what the generator does not write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { disassemble } from '../../assembler/disasm/index';
import { compareLines } from './differential';
import { gasMissing, gasText } from './gas';
import { binutilsMissing, normalise } from '../support/objdump';

type Mode = 16 | 32 | 64;
const MODES: Mode[] = [16, 32, 64];
const MACHINE: Record<Mode, string> = { 16: 'i8086', 32: 'i386', 64: 'i386:x86-64' };

const LINES: Record<Mode, string[]> = { 16: [], 32: [], 64: [] };
for (const mode of MODES) {
  const m = mode === 16 ? '(%bx)' : mode === 32 ? '8(%esi)' : '(%rax,%rcx,4)';
  LINES[mode] = [
    'finit', 'fclex', `fstcw ${m}`, `fstsw ${m}`, 'fstsw %ax', `fstenv ${m}`, `fsave ${m}`,
    `fnstenvs ${m}`, `fnstenvl ${m}`, `fstenvs ${m}`, `fstenvl ${m}`, `fldenvs ${m}`, `fldenvl ${m}`,
    `fnsaves ${m}`, `fnsavel ${m}`, `fsaves ${m}`, `fsavel ${m}`, `frstors ${m}`, `frstorl ${m}`,
    `${mode === 16 ? 'data32' : 'data16'} fstenv ${m}`, `cs fstcw ${m}`,
    `fld ${m}`, `flds ${m}`, `fldl ${m}`, `fldt ${m}`, `fild ${m}`, `filds ${m}`, `fildl ${m}`, `fildll ${m}`, `fildq ${m}`,
    `fistp ${m}`, `fistps ${m}`, `fistpl ${m}`, `fistpll ${m}`, `fistpq ${m}`, `fst ${m}`, `fsts ${m}`, `fstl ${m}`,
    `fstp ${m}`, `fstps ${m}`, `fstpl ${m}`, `fstpt ${m}`,
    'fld %st', 'fld %st(0)', 'fld %st(7)', 'fst %st(2)', 'fstp %st(3)', 'fxch', 'fxch %st(4)', 'ffree %st(5)',
    'fchs', 'fabs', 'fldpi', 'fldl2e', 'fldln2', 'fldlg2', 'fldl2t', 'fld1', 'fldz', 'fwait', 'wait',
    // Arithmetic: the implicit operands and the AT&T names GAS swaps for an ST(i) destination.
    'faddp', 'fsubp', 'fsubrp', 'fmulp', 'fdivp', 'fdivrp', 'fadd', 'fsub', 'fdivr', 'fadd %st(2)', 'fsub %st(3)', 'fdivr %st(1)',
    'fsub %st,%st(1)', 'fsubr %st,%st(1)', 'fdiv %st,%st(2)', 'fdivr %st,%st(2)', 'fsubp %st,%st(3)', 'fdivrp %st,%st(1)',
    'fsub %st(1),%st', 'fsubr %st,%st', 'fdivr %st(0),%st', `fadd ${m}`, `fsubrl ${m}`, `fdivs ${m}`, `fmull ${m}`,
  ];
}
// Spellings GNU as rejects: ours must reject them too.
const REJECTED = ['data32 fnstenv (%eax)', 'fsu %st,%st(1)', 'fdi %st,%st(1)', 'fldq (%eax)', 'fildw (%eax)', 'fstt (%eax)', 'fld %st(8)', 'fxch %eax', 'finit %st(1)', 'fstpll (%eax)', 'fnstenvw (%eax)'];

const missing = gasMissing();

for (const mode of MODES) {
  test(`x87 spellings assemble as GNU as does (.code${mode})`, { skip: missing ?? false }, (t) => {
    const r = compareLines(`.code${mode}\n`, [...LINES[mode], ...REJECTED.filter(() => mode === 32)]);
    t.diagnostic(`.code${mode}: ${r.passed}/${r.total} identical; GNU as rejects ${r.gasRejected.length}`);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.gasRejected.filter((x) => !x.oursRejects).map((x) => x.line), [], 'lines GNU as rejects but ours accepts');
    if (mode === 32) assert.deepEqual(r.gasRejected.map((x) => x.line).sort(), [...REJECTED].sort(), 'the rejected lines are the ones listed');
  });
}

test('an unsuffixed x87 memory operand: GAS warns and takes m32fp / m16int; ours warns the same', { skip: missing ?? false }, () => {
  const src = '.code32\nfld (%eax)\nfild (%eax)\nfistp (%eax)\nfst (%eax)\nfstp (%eax)\nflds (%eax)\n';
  // gasText keeps stderr only when as fails: add an error line so the warnings come back with it.
  const gas = gasText(src + 'no_such_instruction\n');
  const gasWarned = [...gas.stderr.matchAll(/:(\d+): Warning: (.*)/g)].map((m) => `${m[1]}: ${m[2].replace(/`/g, "'")}`);
  const ours = assemble(src, { file: 'in.S' });
  assert.deepEqual(ours.errors, []);
  assert.deepEqual(ours.warnings.map((w) => `${w.line}: ${w.message}`), gasWarned);
  assert.equal(gasWarned.length, 5);
});

test('Intel syntax: st(i), the PTR sizes and fnstenvw/fnstenvd assemble as GNU as does', { skip: missing ?? false }, () => {
  for (const [mode, lines] of [[32, ['fld st(1)', 'fld st', 'fxch st(3)', 'fstp st(0)', 'fld DWORD PTR [eax]', 'fld QWORD PTR [eax]',
    'fld TBYTE PTR [eax]', 'fild WORD PTR [eax]', 'fild DWORD PTR [eax]', 'fild QWORD PTR [eax]', 'fistp QWORD PTR [eax]',
    'fstp TBYTE PTR [eax]', 'fnstenvw [eax]', 'fstenvw [eax]', 'frstorw [eax]', 'finit', 'fsave [eax]',
    'fsub st(1), st', 'fsubr st(1), st', 'fsubp', 'fdivp st(2), st', 'fadd st(2)', 'faddp', 'fdivr st, st(3)', 'fsub QWORD PTR [eax]']],
  [16, ['fnstenvd [bx]', 'fldenvd [bx]', 'fsaved [bx]', 'fnsave [bx]']]] as [Mode, string[]][]) {
    const r = compareLines(`.code${mode}\n.intel_syntax noprefix\n`, lines);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.gasRejected, []);
  }
});

function objdump(blob: Uint8Array, mode: Mode, intel: boolean): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-x87-'));
  try {
    const file = join(dir, 'blob.bin');
    writeFileSync(file, blob);
    const out = execFileSync('objdump', ['-D', '-w', ...(intel ? ['-M', 'intel'] : []), '-b', 'binary', '-m', MACHINE[mode], file], { encoding: 'utf8' });
    const lines: string[] = [];
    for (const l of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(l);
      if (m) lines.push(`${m[1]}: ${m[2].trim()} ${normalise(m[3] ?? '')}`);
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// WAIT before x87 instructions and before others, with prefixes on either side, a lone WAIT, WAIT runs.
const WAIT_BYTES = [
  0x9b, 0xdb, 0xe3, 0x9b, 0xdb, 0xe2, 0x9b, 0xd9, 0x38, 0x9b, 0xdd, 0x38, 0x9b, 0xdf, 0xe0, 0x9b, 0xd9, 0x30, 0x9b, 0xdd, 0x30,
  0x9b, 0x66, 0xd9, 0x30, 0x66, 0x9b, 0xdd, 0x30, 0x9b, 0x9b, 0xdb, 0xe3, 0x9b, 0x2e, 0xd9, 0x38, 0x9b, 0xf3, 0xdb, 0xe3,
  0x9b, 0xd9, 0xe8, 0x9b, 0xd9, 0xc1, 0x9b, 0x67, 0xd9, 0x00, 0x9b, 0x90, 0x9b, 0x0f, 0xae, 0x00, 0x66, 0x9b, 0x90,
  0x9b, 0x9b, 0x9b, 0xd9, 0xe8, 0x9b, 0x66, 0xd9, 0x20, 0x66, 0xdd, 0x30, 0xdd, 0x30, 0x9b, 0xdd, 0x05, 0x10, 0, 0, 0, 0x90,
];

for (const mode of MODES) {
  for (const intel of [false, true]) {
    test(`WAIT before an x87 instruction lists as objdump${intel ? ' -M intel' : ''} does (${mode}-bit)`, { skip: binutilsMissing() ?? undefined }, () => {
      const blob = Uint8Array.from(mode === 64 ? [...WAIT_BYTES, 0x9b, 0x48, 0xd9, 0x38, 0x9b, 0x41, 0xdb, 0xe3] : WAIT_BYTES);
      const ours = disassemble(blob, { bits: mode, syntax: intel ? 'intel' : 'att' })
        .map((l) => `${l.address.toString(16)}: ${Buffer.from(l.bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ')} ${normalise(l.text)}`);
      assert.deepEqual(ours, objdump(blob, mode, intel));
    });
  }
}
