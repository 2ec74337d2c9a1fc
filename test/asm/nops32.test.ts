// asm/nops32.test.ts: the `as --32` build (AssembleOptions.i386): code starts 32-bit, and code alignment
// pads with GAS's LEA-based NOPs (tc-i386.c f32_patt: generic32 has no NOPL) and jumps over long padding,
// compared byte for byte with GNU `as --32` for every pad size 1–255 in 16-, 32- (by default, no .code32)
// and 64-bit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, flatBinary } from '../../assembler/index';
import { gasMissing } from './gas';

const missing = gasMissing();

/** Each pad size 1–255 before a 256-byte boundary, after `inc %eax` (40 in 32-bit code, FF C0 in 64-bit) to show the code size. */
function source(directive: string): string {
  const pads = Array.from({ length: 255 }, (_, k) => `\t.fill ${255 - k},1,0xcc\n\t.balign 256\n`).join('');
  return `${directive}\n\tinc %eax\n\t.balign 256\n${pads}`;
}

/** GNU `as --32`'s .text bytes. */
function gnu32(text: string): Uint8Array {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-nops32-'));
  try {
    writeFileSync(join(work, 'a.s'), text);
    execFileSync('as', ['--32', '-o', join(work, 'a.o'), join(work, 'a.s')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(work, 'a.o'), join(work, 'a.bin')]);
    return new Uint8Array(readFileSync(join(work, 'a.bin')));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

for (const [what, directive] of [['16-bit', '.code16'], ['32-bit (the default)', ''], ['64-bit', '.code64']]) {
  test(`as --32: ${what} code alignment pads as GNU as --32 does, sizes 1-255`, { skip: missing ?? undefined }, () => {
    const text = source(directive);
    const ours = assemble(text, { file: 'a.s', i386: true });
    assert.deepEqual(ours.errors, []);
    const want = gnu32(text);
    const got = flatBinary(ours.sections, 0);
    const at = got.findIndex((b, k) => b !== want[k]);
    assert.equal(at, -1, `first difference at 0x${at.toString(16)}: ours ${Buffer.from(got.subarray(at & ~255, (at & ~255) + 256)).toString('hex')}`);
    assert.equal(got.length, want.length);
  });
}
