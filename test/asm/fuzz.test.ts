// test/asm/fuzz.test.ts: random and mutated sources (seeded) through the whole assembler, C preprocessor
// and macro layer included: assemble() must never throw, never report an internal error, and finish each
// input in bounded time. FUZZ_CASES scales the count (default a few thousand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { assemble } from '../../assembler/index';
import { FIXTURES, fixtureOptions } from './fixtureOptions';

const CASES = Number(process.env.FUZZ_CASES ?? 3000);
/** Per input; generous so a loaded CI machine does not flake, small enough to catch runaway expansion. */
const MAX_MS = 2000;

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    // xorshift32
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

const WORDS = [
  '#define', '#undef', '#if', '#ifdef', '#ifndef', '#elif', '#else', '#endif', '#include', '#error', '#warning', '#', '##',
  '.macro', '.endm', '.exitm', '.rept', '.irp', '.irpc', '.endr', '.if', '.ifdef', '.ifb', '.ifc', '.else', '.elseif', '.endif',
  '.include', '.incbin', '.err', '.error', '.warning', '.print', '.byte', '.long', '.fill', '.org', '.align', '.set', '.code16', '.code32',
  'mov', 'jmp', 'nop', 'lretq', 'movl', '%eax', '%cr0', '%rax', '$', '(', ')', ',', ':', ';', '\\', '\\@', '\\()', '"', "'", '/*', '*/', '//',
  'F(', 'X', 'defined', '1', '0x10', '-1', '999999999', 'f', 'b', '1f', '1b', '=', '+', '<<', '...', '__VA_ARGS__', 'm', 'x', 'inc.h', '"inc.h"',
  '<inc.h>', '"blob.bin"', ' ', ' ', ' ', '\t', '\n', '\n', '\n',
];

function randomSource(r: (n: number) => number): string {
  let s = '';
  for (let k = r(60); k > 0; k--) s += WORDS[r(WORDS.length)] + (r(3) ? ' ' : '');
  return s;
}

/** Deletes, duplicates, swaps or inserts characters and lines of a real source. */
function mutate(src: string, r: (n: number) => number): string {
  const lines = src.split('\n');
  for (let k = 1 + r(6); k > 0; k--) {
    const i = r(lines.length);
    switch (r(6)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, lines[r(lines.length)] ?? ''); break;
      case 2: lines.splice(i, 0, WORDS[r(WORDS.length)] + ' ' + WORDS[r(WORDS.length)]); break;
      case 3: { const l = lines[i] ?? ''; const j = r(l.length + 1); lines[i] = l.slice(0, j) + l.slice(j + 1 + r(4)); break; }
      case 4: { const l = lines[i] ?? ''; const j = r(l.length + 1); lines[i] = l.slice(0, j) + WORDS[r(WORDS.length)] + l.slice(j); break; }
      default: { const j = r(lines.length); [lines[i], lines[j]] = [lines[j], lines[i]]; }
    }
  }
  return lines.join('\n');
}

// A small file system so #include, .include and .incbin also get exercised, recursion included.
const FILES: Record<string, string> = {
  'inc.h': '#define X 1\n#include "inc.h"\n',
  'blob.bin': 'abc',
  'self.s': '.include "self.s"\n',
};

function check(src: string, file: string, extra: object = {}): void {
  const started = Date.now();
  let r;
  try {
    r = assemble(src, { file, readFile: (p) => FILES[p] ?? null, ...extra });
  } catch (e) {
    assert.fail(`assemble threw ${String(e)} on ${JSON.stringify(src)}`);
  }
  const ms = Date.now() - started;
  assert.ok(ms < MAX_MS, `${ms} ms on ${JSON.stringify(src).slice(0, 200)}`);
  for (const e of r.errors) assert.doesNotMatch(e.message, /internal assembler error/, `${e.message} on ${JSON.stringify(src)}`);
}

test(`fuzz: ${CASES} random sources, as .S and .s, never throw and finish in bounded time`, () => {
  const r = rng(0x5eed);
  for (let k = 0; k < CASES; k++) check(randomSource(r), k % 2 ? 'f.S' : 'f.s');
});

test(`fuzz: ${CASES} mutations of the fixtures never throw and finish in bounded time`, () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => /\.(S|s)$/.test(f)).map((f) => ({ name: f, text: readFileSync(`${FIXTURES}/${f}`, 'latin1') }));
  const r = rng(0xf1c5);
  for (let k = 0; k < CASES; k++) {
    const f = fixtures[k % fixtures.length];
    const { file: _file, readFile: _read, ...rest } = fixtureOptions(f.name);
    check(mutate(f.text, r), f.name, rest);
  }
});
