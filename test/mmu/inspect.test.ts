// inspect.test.ts: the debugger's page-table views: a side-effect-free walk (no A/D writes, no CR2)
// and the lazy one-table-at-a-time tree reader, including a self-referencing PML4 entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { children, rootTable, walk } from '../../emulator/mmu/inspect';
import { Access } from '../../emulator/mmu/mmu';
import { A, CR4_LA57, CR4_PAE, D, enablePaging, P, RW, Tables, US, XD } from './tables';

function setup() {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  t.map(root, 4, 0x0000_0000_0040_0000n, 0x30_0000n, P | RW);
  // A self-referencing PML4 entry (index 511) as operating systems use for a recursive map.
  t.set64(root + 511 * 8, BigInt(root) | P | RW);
  // 512 contiguous 4-KiB pages with equal flags at 0x0080_0000 (one page table).
  for (let k = 0; k < 512; k++) t.map(root, 4, 0x80_0000n + BigInt(k) * 0x1000n, 0x100_0000n + BigInt(k) * 0x1000n, P | RW | XD);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE, nxe: true });
  return { m, t, root };
}

test('walk reports every level and the physical address, and changes nothing', () => {
  const { m, t, root } = setup();
  const before = t.get64(root);
  const r = walk(m.phys, m.cpu, 0x0000_0000_0040_0123n, { access: Access.Write });
  assert.equal(r.mode, '4-level');
  assert.deepEqual(r.levels.map((l) => l.level), ['PML4E', 'PDPTE', 'PDE', 'PTE']);
  assert.equal(r.levels[0].tableAddress, root);
  assert.equal(r.levels[0].entryAddress, root);
  assert.equal(r.levels[2].index, 2);
  assert.equal(r.levels[3].flags.frame, 0x30_0000);
  assert.equal(r.levels[3].flags.writable, true);
  assert.equal(r.physical, 0x30_0123);
  assert.equal(r.fault, null);
  assert.equal(t.get64(root), before, 'no accessed flag written');
  assert.equal(t.get64(r.levels[3].entryAddress) & (A | D), 0n);
});

test('walk of an unmapped or forbidden address gives the #PF error code without raising or touching CR2', () => {
  const { m } = setup();
  m.cpu.cr2Lo = 0x1234;
  const r = walk(m.phys, m.cpu, 0x0000_0000_0060_0000n);
  assert.equal(r.physical, null);
  assert.deepEqual(r.fault, { errorCode: 0, reason: 'paging-structure entry not present' });
  assert.equal(r.levels.length, 3);
  const u = walk(m.phys, m.cpu, 0x0000_0000_0040_0000n, { user: true });
  assert.equal(u.fault?.errorCode, 1 | 4);
  const x = walk(m.phys, m.cpu, 0x0000_0000_0080_0000n, { access: Access.Execute });
  assert.equal(x.fault?.errorCode, 1 | 16);
  assert.equal(x.levels[3].flags.noExecute, true);
  assert.equal(m.cpu.cr2Lo, 0x1234);
});

test('the self-map: walking 0xFFFF_FFFF_FFFF_F000 ends at the PML4 itself; the tree reader terminates', () => {
  const { m, root } = setup();
  const r = walk(m.phys, m.cpu, 0xffff_ffff_ffff_f008n);
  assert.equal(r.physical, root + 8);
  assert.equal(r.levels.length, 4);
  const top = rootTable(m.cpu);
  assert.ok(top !== null);
  const nodes = children(m.phys, m.cpu, top.tableAddress, top.level, top.linearBase);
  assert.deepEqual(nodes.map((n) => n.index), [0, 511]);
  assert.equal(nodes[1].linear, 0xffff_ff80_0000_0000n);
  // Expand the self-referencing entry as far as it goes: each call reads one table, levels end at PTE.
  let n = nodes[1];
  let depth = 0;
  while (n.child !== null) {
    const next = children(m.phys, m.cpu, n.child.tableAddress, n.child.level, n.child.linearBase);
    const self = next.find((c) => c.index === 511);
    assert.ok(self);
    n = self;
    depth++;
  }
  assert.equal(depth, 3);
  assert.equal(n.level, 'PTE');
  assert.equal(n.linear, 0xffff_ffff_ffff_f000n);
});

test('runs of equal leaf entries with contiguous frames fold into one node', () => {
  const { m, root } = setup();
  const pml4 = children(m.phys, m.cpu, root, 'PML4E', 0n);
  const pdpt = children(m.phys, m.cpu, pml4[0].child!.tableAddress, 'PDPTE', 0n);
  const pd = children(m.phys, m.cpu, pdpt[0].child!.tableAddress, 'PDE', 0n);
  assert.deepEqual(pd.map((n) => [n.index, n.leaf]), [[2, false], [4, false]]);
  const pt = children(m.phys, m.cpu, pd[1].child!.tableAddress, 'PTE', pd[1].child!.linearBase);
  assert.equal(pt.length, 1);
  assert.equal(pt[0].count, 512);
  assert.equal(pt[0].linear, 0x80_0000n);
  assert.equal(pt[0].flags.frame, 0x100_0000);
  assert.equal(pt[0].flags.noExecute, true);
});

test('5-level walk names the PML5E; paging off walks to the identity', () => {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  t.map(root, 5, 0x0001_0000_0000_0000n, 0x30_0000n, P | RW | US);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE | CR4_LA57 });
  const r = walk(m.phys, m.cpu, 0x0001_0000_0000_0042n);
  assert.deepEqual(r.levels.map((l) => [l.level, l.index]), [['PML5E', 1], ['PML4E', 0], ['PDPTE', 0], ['PDE', 0], ['PTE', 0]]);
  assert.equal(r.physical, 0x30_0042);
  const off = flatMachine(32);
  assert.deepEqual(walk(off.phys, off.cpu, 0x1234n), { mode: 'none', levels: [], physical: 0x1234, fault: null });
});
