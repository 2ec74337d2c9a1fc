// test/asm/preprocessor.test.ts: the C preprocessor and GAS's macro layer beyond byte equality (which
// snippets.test.ts checks against gcc -c / as): positions through includes and expansions, -D and the
// predefined macros, .print, and the error table (exact message and file:line:col, GAS's or cpp's words).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, formatDiagnostic } from '../../assembler/index';
import type { AssembleOptions } from '../../assembler/index';

/** Assembles `files[main]` with the other entries as the file system. */
function run(files: Record<string, string>, main: string, extra: Partial<AssembleOptions> = {}) {
  return assemble(files[main], { file: main, readFile: (p) => files[p] ?? null, includePaths: ['include'], ...extra });
}
function diags(files: Record<string, string>, main: string, extra: Partial<AssembleOptions> = {}): string[] {
  const r = run(files, main, extra);
  return [...r.errors, ...r.warnings].map(formatDiagnostic);
}

test('the line table maps bytes to the original file:line through #include, .include and macros', () => {
  const files = {
    'src/main.S': [
      '#include "defs.h"',        // 1
      '#define TWICE(x) x; x',    // 2
      '\tTWICE(nop)',             // 3: two statements on one line
      '\tSTORE(%eax)',            // 4: expands to an instruction of this line
      '\t.include "body.inc"',    // 5
      '\temit3',                  // 6: a GAS macro from body.inc
      '\thlt',                    // 7
    ].join('\n'),
    'src/defs.h': '/* comment\n   lines */\n#define STORE(r) movl r, (%edi)\n\tcld\n',
    'include/body.inc': '\t.macro emit3\n\tint3\n\t.byte 3\n\t.endm\n\tret\n',
  };
  const r = run(files, 'src/main.S');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.lines.map((l) => `${l.address}:${l.file}:${l.line}`), [
    '0:src/defs.h:4', '1:src/main.S:3', '2:src/main.S:3', '3:src/main.S:4', '6:include/body.inc:5',
    '7:include/body.inc:2', '8:include/body.inc:3', '9:src/main.S:7',
  ]);
});

test('-D definitions, predefined macros and #if arithmetic select what gcc would', () => {
  const src = '#if defined(__ASSEMBLER__) && __x86_64__ && LEVEL >= 2 && !defined(OFF)\n.byte LEVEL, ON\n#endif\n.byte __LINE__\n';
  const r = assemble(src, { file: 'd.S', defines: { LEVEL: '3', ON: '' } });
  assert.deepEqual([...r.sections[0].data], [3, 1, 4]);
  // A .s file is not preprocessed: `#if` is a comment there, and options.cpp forces either way.
  assert.deepEqual(assemble(src, { file: 'd.s', defines: { LEVEL: '3', ON: '' } }).errors.map((e) => e.message), ["undefined symbol 'LEVEL'", "undefined symbol '__LINE__'"]);
  assert.equal(assemble(src, { file: 'd.s', cpp: true, defines: { LEVEL: '3', ON: '' } }).sections[0].data.length, 3);
});

test('.print output is collected, in order', () => {
  const r = assemble('.print "one"\n.rept 2\n.print "two"\n.endr\n', { file: 'p.s' });
  assert.deepEqual(r.printed, ['one', 'two', 'two']);
});

// Each row: the files (the first is assembled), then every diagnostic exactly.
const ERRORS: [Record<string, string>, string[]][] = [
  // C preprocessor (gcc's words).
  [{ 'a.S': '#if 1\nnop\n' }, ['a.S:1:2: error: unterminated #if']],
  [{ 'a.S': 'nop\n  #ifdef X\n#else\n#else\n#endif\n' }, ['a.S:4:2: error: #else after #else']],
  [{ 'a.S': '#endif\n#elif 1\n' }, ['a.S:1:2: error: #endif without #if', 'a.S:2:2: error: #elif without #if']],
  [{ 'a.S': '#include "missing.h"\n' }, ['a.S:1:2: error: missing.h: No such file or directory']],
  [{ 'a.S': '#include "b.h"\n', 'b.h': 'nop\n#error stop here\n' }, ['b.h:2:2: error: #error stop here']],
  [{ 'a.S': '#warning careful\nnop\n' }, ['a.S:1:2: warning: #warning careful']],
  [{ 'a.S': '#define F(a, b) a + b\n.byte F(1)\n.byte F(1, 2, 3)\n' },
    ['a.S:2:1: error: macro "F" requires 2 arguments, but only 1 given', 'a.S:3:1: error: macro "F" passed 3 arguments, but takes just 2']],
  [{ 'a.S': '#define\n#if\n#endif\n#if 1 +\n#endif\n#ifdef 3\n#endif\n' }, [
    'a.S:1:2: error: no macro name given in #define directive', 'a.S:2:2: error: #if with no expression',
    "a.S:4:2: error: operator '+' has no right operand", 'a.S:6:2: error: macro names must be identifiers']],
  [{ 'a.S': 'nop\n/* unterminated\n' }, ['a.S:2:1: error: unterminated comment']],
  [{ 'a.S': '#include "a.S"\n' }, ['a.S:1:2: error: #include nested depth 200 exceeds maximum of 200']],
  [{ 'a.S': '#define F(x) x\nF(1\n' }, ['a.S:2:1: error: unterminated argument list invoking macro "F"']],
  // GAS directives (GNU as 2.40's words), with positions through includes and macro bodies.
  [{ 'a.s': '.bogus\n  .if 1\n' }, ["a.s:1:1: error: unknown pseudo-op: '.bogus'", 'a.s:2:3: error: end of file inside conditional (the ".if" is here)']],
  [{ 'a.s': '.else\n.endif\n.elseif 1\n' }, ['a.s:1:1: error: ".else" without matching ".if"', 'a.s:2:1: error: ".endif" without ".if"', 'a.s:3:1: error: ".elseif" without matching ".if"']],
  [{ 'a.s': '.if 1\n.else\n.else\n.endif\n' }, ['a.s:3:1: error: duplicate ".else"']],
  [{ 'a.s': '.if foo\n.endif\n.ifdef\n.endif\n' }, ['a.s:1:1: error: non-constant expression in ".if" statement', 'a.s:3:1: error: invalid identifier for ".ifdef"']],
  [{ 'a.s': '.macro rec n\n  rec \\n\n.endm\nrec 1\n' }, ['a.s:2:3: error: macros nested too deeply']],
  [{ 'a.s': '.macro m\nnop\n' }, ["a.s:1:1: error: unexpected end of file in macro `m' definition"]],
  [{ 'a.s': '.rept 3\nnop\n' }, ['a.s:1:1: error: REPT without ENDR']],
  [{ 'a.s': '.rept x\n.endr\n' }, ['a.s:1:1: error: bad or irreducible absolute expression']],
  [{ 'a.s': '.macro\n.endm\n.macro a\n.endm\n.macro a\n.endm\n' }, ['a.s:1:1: error: Missing macro name', "a.s:5:1: error: Macro `a' was already defined"]],
  [{ 'a.s': '.macro a b:req\n.byte \\b\n.endm\na\n' }, ["a.s:4:1: error: Missing value for required parameter `b' of macro `a'"]],
  [{ 'a.s': '.macro a b\n.byte \\b\n.endm\na 1,2\n' }, ['a.s:4:1: error: too many positional arguments']],
  [{ 'a.s': '.macro m x\n  movl \\x, %eax\n.endm\nm %foo\n' }, ["a.s:2:8: error: bad register name '%foo'"]],
  [{ 'a.s': '.include "inc.s"\n', 'inc.s': 'nop\n  bogus 1\n' }, ["inc.s:2:3: error: no such instruction: 'bogus 1'"]],
  [{ 'a.s': '.include "nope.s"\n.incbin "nope.bin"\n' }, ["a.s:1:1: error: can't open nope.s for reading: No such file or directory", 'a.s:2:1: error: file not found: nope.bin']],
  [{ 'a.s': '.incbin "b.bin", 5\n', 'b.bin': 'abc' }, ['a.s:1:1: error: skip (5) or count (0) invalid for file size (3)']],
  [{ 'a.s': '.err\n.error "boo"\n.warning "hmm"\n.error foo\n' },
    ['a.s:1:1: error: .err encountered', 'a.s:2:1: error: boo', 'a.s:4:1: error: .error argument must be a string', 'a.s:3:1: warning: hmm']],
  [{ 'a.s': '.endm\n.endr\n.exitm\n' }, [
    'a.s:1:1: warning: .endm encountered without preceding .macro', 'a.s:2:1: warning: .endr encountered without preceding .rept, .irp, or .irpc',
    'a.s:3:1: warning: ignoring macro exit outside a macro definition.']],
  [{ 'a.s': '.rept 1000000\n.rept 1000000\nnop\n.endr\n.endr\n' }, ['a.s:2:1: error: too many statements from macro and .rept expansions']],
];

for (const [files, expected] of ERRORS) {
  const main = Object.keys(files)[0];
  test(`diagnostics: ${JSON.stringify(files[main]).slice(0, 60)}`, () => {
    assert.deepEqual(diags(files, main), expected);
  });
}
