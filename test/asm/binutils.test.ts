// binutils.test.ts: our assembler and disassembler against binutils' own x86 test suite
// (gas/testsuite/gas/i386 from Debian's binutils-source, fetched at test time into a cache outside the repo).
// Each .d dump is checked the way run_dump_test does: our bytes and our text, every expected line a regexp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairResult, runPair, suiteDir } from './binutilsSuite';

/**
 * Families in scope: general-purpose and system instructions the emulator executes. Each lists its dumps
 * (AT&T and, where the suite has one, Intel). Sources in Intel syntax are checked on the disassembler only,
 * with the bytes the .d lists (our assembler reads AT&T only).
 */
const IN_SCOPE: Record<string, string[]> = {
  'addr16': ['addr16'],
  'addr32': ['addr32'],
  'arch-7': ['arch-7'],
  'bmi': ['bmi', 'bmi-intel', 'x86-64-bmi', 'x86-64-bmi-intel'],
  'bmi2': ['bmi2', 'bmi2-intel', 'x86-64-bmi2', 'x86-64-bmi2-intel'],
  'cdr': ['cdr', 'x86-64-cdr'],
  'crx/drx (x86-64)': ['x86-64-crx', 'x86-64-drx'],
  'disp': ['disp', 'disp-intel', 'x86-64-disp', 'x86-64-disp-intel'],
  'intel-movs/cmps': ['intel-movs32', 'intel-movs64', 'intel-cmps32', 'intel-cmps64'],
  'intel-got/pic': ['intel-got32', 'intel-got64', 'intelpic'],
  'intel16': ['intel16'],
  'invpcid': ['invpcid', 'invpcid-intel', 'x86-64-invpcid', 'x86-64-invpcid-intel'],
  'lock-1': ['lock-1', 'lock-1-intel', 'x86-64-lock-1', 'x86-64-lock-1-intel'],
  'movs/movz': ['movs32', 'movs64', 'movz32', 'movz64'],
  'nops': ['nops16-1', 'x86-64-nops-1', 'x86-64-nops-7'],
  'rdpid': ['rdpid', 'rdpid-intel', 'x86-64-rdpid', 'x86-64-rdpid-intel'],
  'relax': ['relax-1', 'relax-2'],
  'rep': ['rep', 'x86-64-rep'],
  'sib': ['sib', 'sib-intel', 'x86-64-sib', 'x86-64-sib-intel'],
  'x86-64-cbw': ['x86-64-cbw', 'x86-64-cbw-intel'],
  'x86-64-io': ['x86-64-io', 'x86-64-io-intel'],
  'x86-64-segovr': ['x86-64-segovr'],
};

/** General-purpose/system dumps tried and left out, with the reason (SIMD/x87/VMX/... families are not tried). */
const OUT_OF_SCOPE: Record<string, string> = {
  'x86-64-stack': '66h on near CALL/JMP: objdump decodes the AMD 16-bit form (call *%ax); our decoder follows Intel (operand size forced to 64, SDM Vol.2 CALL) — 14 of 61 lines',
  'x86-64-stack-intel': 'as x86-64-stack',
  'crx': 'LOCK MOV CR0 (AMD alternative encoding of CR8 in 32-bit code) is not in the table',
  'mem': 'VMX instructions (vmptrld, vmclear, vmxon) are not in the table',
  'mem-intel': 'as mem',
  'x86-64-mem': 'as mem',
  'x86-64-mem-intel': 'as mem',
  'i386': 'x87 instructions (fnstsw, ...) are not in the table',
  'i386-intel': 'as i386',
  'opcode': 'our assembler rejects `insb (%dx),%es:(%edi)` (string instruction with explicit operands); x87 forms too',
  'opcode-intel': 'as opcode',
  'x86-64-opcode': 'SSE instructions (movnti ...) in the source',
  'jump': 'relocations against undefined symbols (objdump -r lines) are not reproduced',
  'jump16': 'as jump',
  'x86-64-jump': '#notarget option',
  'x86-64-branch': 'objdump -Mintel64 is not reproduced',
  'x86-64-rip': 'relocation against an undefined symbol',
  'x86-64-addr32': 'our assembler lacks .allow_index_reg',
  'lea': 'our assembler lacks .allow_index_reg',
  'x86-64-movsxd': 'Intel-syntax source whose dump lines give the bytes as regexps',
  'x86_64': 'Intel-syntax source whose dump gives symbol addresses as regexps',
  'code16': 'Intel-syntax source whose dump gives the bytes as regexps',
  'x86-64-gidt': 'our assembler rejects sidtq/lidtq suffixes',
  'relax': 'as option -mx86-used-note',
  'sub': 'relocation against .data is not reproduced',
  'immed32': 'relocation against an undefined symbol',
  'rep-suffix': 'objdump -Msuffix is not reproduced',
  'x86-64-suffix': 'objdump -Msuffix is not reproduced',
};

const suite = suiteDir();
const skip = 'skip' in suite ? suite.skip : undefined;

test('binutils gas/testsuite/gas/i386 dumps: every in-scope family passes', { skip }, (t) => {
  if (!('dir' in suite)) return;
  let files = 0, lines = 0;
  const failures: string[] = [];
  for (const [family, names] of Object.entries(IN_SCOPE)) {
    const results: PairResult[] = names.map((n) => runPair(suite.dir, n));
    const passed = results.filter((r) => r.notComparable === null && r.failures.length === 0);
    const n = results.reduce((s, r) => s + r.lines, 0);
    files += results.length;
    lines += n;
    t.diagnostic(`${family}: ${passed.length}/${results.length} dumps pass, ${n} lines (${results.map((r) => `${r.name}${r.how === 'disasm' ? ' [disasm only]' : ''}`).join(', ')})`);
    for (const r of results) {
      if (r.notComparable) failures.push(`${r.name}: not comparable: ${r.notComparable}`);
      for (const f of r.failures.slice(0, 10)) failures.push(`${r.name}: ${f}`);
    }
  }
  t.diagnostic(`${files} dump files, ${lines} expected lines checked; ${Object.keys(OUT_OF_SCOPE).length} general-purpose dumps out of scope (listed in the test with reasons)`);
  assert.deepEqual(failures, []);
});

test('binutils dumps out of scope: still not passing (else move them in scope)', { skip }, (t) => {
  if (!('dir' in suite)) return;
  for (const [name, why] of Object.entries(OUT_OF_SCOPE)) {
    let r: PairResult;
    try { r = runPair(suite.dir, name); } catch { continue; }
    const state = r.notComparable ? `not comparable (${r.notComparable})` : `${r.failures.length} failing of ${r.lines} lines`;
    t.diagnostic(`${name}: ${state} — ${why}`);
  }
});
