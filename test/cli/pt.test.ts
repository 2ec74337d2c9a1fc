// cli/pt.test.ts: `trampoline pt` on examples/lvl5-trampoline/lvl5.S (--boot long --load 0x100000000).
// Expected structures come from the SDM and from what the program itself writes, not from our walker:
// - at startup_64 (the entry): 4-level paging (CR4.LA57 = 0, SDM Vol.3A §4.5), the loader's identity map
//   (design.md `--boot long`), so every leaf maps its linear range onto the same physical range and the
//   program's load address 0x100000000 is covered;
// - at lvl5 (after the trampoline): 5-level paging with CR3 = 0x7000 (the program's `movl $LVL5_PGTABLE,
//   %cr3`), whose entry 0 is the old CR3 | 7 (`leaq 0x7(%rdi), %rax; movq %rax, LVL5_PGTABLE`), flags
//   P RW US (Table 4-15: bits 0, 1, 2; the processor may add A, bit 5, §4.8), pointing at the old PML4,
//   so the tree under it is the 4-level tree of startup_64. Its other present "entries" are the trampoline's
//   own bytes copied to 0x7c00 (`rep movsb` to LVL5_TRAMPOLINE, same page): index ≥ 0xc00 / 8 = 384.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ptCommand, PtNodeJson, PtReport } from '../../cli/pt';

function example(): string {
  const candidates = [2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), 'examples', 'lvl5-trampoline', 'lvl5.S'));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

function pt(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = ptCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const BOOT = ['--boot', 'long', '--load', '0x100000000', '--paging', '4'];

function report(at: string, extra: string[] = []): PtReport {
  const r = pt([example(), ...BOOT, '--at', at, '--json', ...extra]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as PtReport;
}

function leaves(nodes: PtNodeJson[]): PtNodeJson[] {
  return nodes.flatMap((n) => (n.leaf ? [n] : leaves(n.entries ?? [])));
}

/**
 * What a tree maps, independent of folding: its tables (level, index, physical) and its leaf ranges merged
 * where contiguous, flags without A and D (the processor sets them as it walks, SDM Vol.3A §4.8, which
 * splits folded runs).
 */
function mapping(nodes: PtNodeJson[]): { tables: string[]; ranges: string[] } {
  const tables: string[] = [];
  const ranges: { start: bigint; end: bigint; physical: bigint; flags: string }[] = [];
  const visit = (ns: PtNodeJson[]): void => {
    for (const n of ns) {
      const flags = n.flags.filter((f) => f !== 'A' && f !== 'D').join(' ');
      if (!n.leaf) { tables.push(`${n.level}[${n.index}] ${n.physical} ${flags}`); visit(n.entries ?? []); continue; }
      const start = BigInt(n.linear), end = BigInt(n.linearEnd), physical = BigInt(n.physical);
      const prev = ranges[ranges.length - 1];
      if (prev && prev.end + 1n === start && prev.physical + (start - prev.start) === physical && prev.flags === flags) prev.end = end;
      else ranges.push({ start, end, physical, flags });
    }
  };
  visit(nodes);
  return { tables, ranges: ranges.map((r) => `${r.start.toString(16)}-${r.end.toString(16)} ${r.physical.toString(16)} ${r.flags}`) };
}

test('pt at startup_64: 4 levels, the loader\'s identity map covering the program at 4 GiB', () => {
  const r = report('startup_64');
  assert.equal(r.paging, '4-level');
  assert.equal(r.at.linear, '0x100000000');
  assert.equal(r.root?.table, 'PML4');
  assert.equal(BigInt(r.root.address), BigInt(r.cr3) & ~0xfffn);
  assert.ok(r.entries.every((n) => n.level === 'PML4E'));
  const ls = leaves(r.entries);
  assert.ok(ls.length > 0);
  for (const l of ls) {
    assert.equal(l.physical, l.linear, `${l.level}[${l.index}] is not an identity mapping`);
    assert.ok(l.flags.includes('P') && l.flags.includes('RW'));
  }
  const covers = (a: bigint) => ls.some((l) => BigInt(l.linear) <= a && a <= BigInt(l.linearEnd));
  assert.ok(covers(0x100000000n) && covers(0x7c00n) && covers(0x7000n));
});

test('pt at lvl5: 5 levels, PML5E[0] = old CR3 | 7 over the same 4-level tree; the rest is trampoline code', () => {
  const before = report('startup_64');
  const r = report('lvl5');
  assert.equal(r.paging, '5-level');
  assert.equal(r.mode, 'long64');
  assert.equal(r.cr3, '0x7000');
  assert.deepEqual(r.root, { table: 'PML5', address: '0x7000' });
  const first = r.entries[0];
  assert.equal(first.index, 0);
  assert.equal(first.level, 'PML5E');
  assert.equal(BigInt(first.value) & ~0x20n, BigInt(before.cr3) | 7n);
  assert.deepEqual(first.flags.filter((f) => f !== 'A'), ['P', 'RW', 'US']);
  assert.equal(first.physical, before.root?.address);
  assert.deepEqual(mapping(first.entries ?? []), mapping(before.entries));
  for (const n of r.entries.slice(1)) assert.ok(n.index >= 384, `PML5E[${n.index}] is not in the trampoline copy at 0x7c00`);
});

test('pt: --depth limits the levels; the text tree names tables, ranges, frames and flags', () => {
  const r = report('startup_64', ['--depth', '1']);
  assert.ok(r.entries.length > 0 && r.entries.every((n) => n.entries === undefined));
  const text = pt([example(), ...BOOT, '--at', 'startup_64', '--depth', '2']);
  assert.equal(text.code, 0, text.err);
  const lines = text.out.trimEnd().split('\n');
  assert.match(lines[0], /^at startup_64 \(0x100000000\), instruction 0: long64, paging 4-level, CR3 0x/);
  assert.match(lines[1], /^PML4 table at 0x/);
  assert.match(lines[2], /^└─ PML4E\[0\] {2}0x0-0x7fffffffff → PDPT at 0x[0-9a-f]+ {2}P RW/);
  assert.ok(lines.slice(3).every((l) => /^ {3}[├└]─ PDPTE\[\d+\]/.test(l)), text.out);
});

test('pt: a point never reached, paging off, an unknown label, a missing --at', () => {
  const never = pt([example(), ...BOOT, '--at', '0x1234', '--max-instructions', '5000']);
  assert.equal(never.code, 1);
  assert.match(never.err, /--at 0x1234 \(0x1234\) was not reached: the run stopped by halt after \d+ instructions/);
  const off = pt([example(), '--boot', 'protected', '--load', '0x100000', '--at', '0x100000']);
  assert.equal(off.code, 0, off.err);
  assert.match(off.out, /paging is off \(CR0\.PG = 0\)/);
  const unknown = pt([example(), ...BOOT, '--at', 'nowhere']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /--at: no symbol 'nowhere'/);
  assert.equal(pt([example()]).code, 2);
});
