// test/asm/cppOption.test.ts: when the C preprocessor runs, against gcc: by default for .S and .sx (what
// `gcc -c` does by the file name), never for .s (where `#define` is a GAS comment), and always with
// `cpp: true` (gcc -x assembler-with-cpp) or never with `cpp: false` (as alone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { gasMissing, hex } from './gas';

const missing = gasMissing();
// With cpp V is 5 and one branch of the #ifdef stays; without, every # line is a GAS comment: V = 9, both bytes.
const SRC = '#define V 5\n#if 0\nV = 9\n#endif\n.byte V\n#ifdef __ASSEMBLER__\n.byte 1\n#else\n.byte 2\n#endif\n';

/** .text of `gcc -c [args] name` with SRC in a file of that name, linked at 0. */
function gccText(name: string, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-cpp-'));
  try {
    writeFileSync(join(dir, name), SRC);
    execFileSync('gcc', ['-c', ...args, '-o', 'o.o', name], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', 'o.o', 'o.bin'], { cwd: dir });
    return hex(readFileSync(join(dir, 'o.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours = (name: string, cpp?: boolean) => {
  const r = assemble(SRC, cpp === undefined ? { file: name } : { file: name, cpp });
  assert.deepEqual(r.errors, []);
  return hex(r.sections[0].data);
};

test('by default .S and .sx are preprocessed and .s is not, as gcc -c decides', { skip: missing ?? false }, () => {
  for (const name of ['a.S', 'a.sx', 'a.s']) assert.equal(ours(name), gccText(name, []), name);
  assert.notEqual(ours('a.S'), ours('a.s'), 'the source must tell cpp from no cpp');
});

test('cpp: true preprocesses a .s (gcc -x assembler-with-cpp), cpp: false leaves a .S to as', { skip: missing ?? false }, () => {
  assert.equal(ours('a.s', true), gccText('a.s', ['-x', 'assembler-with-cpp']));
  assert.equal(ours('a.S', false), gccText('a.S', ['-x', 'assembler']));
});
