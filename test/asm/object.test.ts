// test/asm/object.test.ts: every fixture assembled into a relocatable object (relocatable: true, elfObject)
// reads back like the object GNU as (or gcc -c for a .S) makes of it: relocations, disassembly with
// relocations, section contents and symbols (readelf -r, objdump -dr, objdump -s, nm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, elfObject } from '../../assembler/index';
import { gasMissing } from './gas';
import { FIXTURES as DIR, fixtureOptions, toolArgs } from './fixtureOptions';

const missing = gasMissing();
// .cfi_* directives: GAS writes an .eh_frame section for them, which our objects do not have.
const NO_OBJECT = new Set(['directives.S']);

const read = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'latin1', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });

function view(obj: string): Record<string, string> {
  const relocs = read('readelf', ['-rW', obj]).split('\n').filter((l) => /^[0-9a-f]{16} /.test(l))
    .map((l) => { const f = l.trim().split(/\s+/); return `${f[0]} ${f[2]} ${f.slice(4).join(' ')}`; }).sort();
  const body = (s: string) => s.split('\n').slice(2).join('\n');
  let symbols = '';
  try { symbols = read('nm', [obj]); } catch { /* nm fails on an object without symbols */ }
  return { relocs: relocs.join('\n'), disasm: body(read('objdump', ['-dr', obj])), contents: body(read('objdump', ['-s', obj])), symbols };
}

for (const name of readdirSync(DIR).filter((f) => /\.[sS]$/.test(f) && !NO_OBJECT.has(f)).sort()) {
  test(`object file of fixtures/${name} reads back like GNU ${name.endsWith('.S') ? 'gcc -c' : 'as'}'s`, { skip: missing ?? false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'trampoline-obj-'));
    try {
      const r = assemble(readFileSync(join(DIR, name), 'latin1'), { ...fixtureOptions(name), relocatable: true });
      assert.deepEqual(r.errors, []);
      writeFileSync(join(dir, 'ours.o'), elfObject({ sections: r.sections, symbols: r.symbols, relocations: r.relocations ?? [], undefinedGlobals: r.undefinedGlobals }));
      const gasObj = join(dir, 'gas.o');
      if (name.endsWith('.S')) execFileSync('gcc', ['-c', ...toolArgs(name), '-o', gasObj, name], { cwd: DIR, stdio: 'ignore' });
      else execFileSync('as', ['--64', ...toolArgs(name), '-o', gasObj, name], { cwd: DIR, stdio: 'ignore' });
      assert.deepEqual(view(join(dir, 'ours.o')), view(gasObj));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
