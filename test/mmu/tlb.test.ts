// tlb.test.ts: the TLB in front of the page walk: stale entries until invalidation (SDM Vol.3A §4.10.4.2),
// INVLPG of 4-KiB and large pages, MOV to CR3 with global pages and PCIDs, CR4 changes, CPL changes, and
// the dirty flag's first write going through the walk (§4.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { CR4_PAE, CR4_PCIDE, CR4_PGE, D, enablePaging, G, P, pageFault, RW, split, Tables, US } from './tables';

const LIN = 0x0000_0000_0040_0000n;

function setup(leafFlags: bigint, leafLevel = 1) {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  const e = t.map(root, 4, LIN, leafLevel === 2 ? 0x60_0000n : 0x30_0000n, leafFlags, leafLevel);
  m.phys.writeBytes(0x30_0000, Uint8Array.from([0x11]));
  m.phys.writeBytes(0x31_0000, Uint8Array.from([0x22]));
  return { m, t, root, e };
}

test('a changed PTE is seen after INVLPG, not before (SDM Vol.3A §4.10.4.1, §4.10.4.2)', () => {
  const { m, t, root, e } = setup(P | RW);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  t.set64(e[1], 0x31_0000n | P | RW);
  assert.equal(m.mem.read8(lo, hi), 0x11); // stale until invalidated: allowed by §4.10.4.2
  m.mem.flushPage(lo, hi);
  assert.equal(m.mem.read8(lo, hi), 0x22);
  // Not present after INVLPG: #PF; a miss counter moves on the slow path only.
  t.set64(e[1], 0n);
  m.mem.flushPage(lo, hi);
  const misses = m.mem.misses;
  assert.deepEqual(pageFault(m, () => m.mem.read8(lo, hi)), { ec: 0, cr2: LIN });
  assert.equal(m.mem.misses, misses + 1);
});

test('INVLPG of any address in a 2-MiB page drops every 4-KiB TLB entry filled from it', () => {
  const { m, t, root, e } = setup(P | RW, 2);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  m.phys.writeBytes(0x60_0000, Uint8Array.from([0xaa]));
  m.phys.writeBytes(0x60_5000, Uint8Array.from([0xbb]));
  m.phys.writeBytes(0x80_0000, Uint8Array.from([0xcc]));
  m.phys.writeBytes(0x80_5000, Uint8Array.from([0xdd]));
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0xaa);
  assert.equal(m.mem.read8(lo + 0x5000, hi), 0xbb);
  t.set64(e[2], 0x80_0000n | P | RW | 128n);
  m.mem.flushPage(lo + 0x1_0000, hi); // another 4 KiB of the same 2-MiB page
  assert.equal(m.mem.read8(lo, hi), 0xcc);
  assert.equal(m.mem.read8(lo + 0x5000, hi), 0xdd);
});

test('MOV to CR3 drops non-global entries; global ones survive until CR4.PGE changes (SDM Vol.3A §4.10.2.4, §4.10.4.1)', () => {
  const { m, t, root, e } = setup(P | RW | G);
  const other = t.map(root, 4, LIN + 0x1000n, 0x31_0000n, P | RW)[1];
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE | CR4_PGE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  assert.equal(m.mem.read8(lo + 0x1000, hi), 0x22);
  t.set64(e[1], 0x31_0000n | P | RW | G);
  t.set64(other, 0x30_0000n | P | RW);
  m.cpu.mem.setPagingState(m.cpu, true); // MOV to CR3 with the same value
  assert.equal(m.mem.read8(lo, hi), 0x11, 'global entry kept');
  assert.equal(m.mem.read8(lo + 0x1000, hi), 0x11, 'non-global entry dropped');
  m.cpu.cr4 &= ~CR4_PGE; // MOV to CR4 changing PGE drops everything
  m.cpu.mem.setPagingState(m.cpu, true);
  assert.equal(m.mem.read8(lo, hi), 0x22);
});

test('without CR4.PGE the G bit is ignored: MOV to CR3 drops the entry', () => {
  const { m, t, root, e } = setup(P | RW | G);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  t.set64(e[1], 0x31_0000n | P | RW | G);
  m.cpu.mem.setPagingState(m.cpu, true);
  assert.equal(m.mem.read8(lo, hi), 0x22);
});

test('PCIDs: a CR3 with another PCID and the no-flush bit still translates with the new tables', () => {
  const { m, t, root } = setup(P | RW);
  const root2 = t.alloc();
  t.map(root2, 4, LIN, 0x31_0000n, P | RW);
  enablePaging(m, { cr3: BigInt(root) | 1n, cr4: CR4_PAE | CR4_PCIDE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  // MOV CR3 with bit 63 set (no flush: CONTROL passes flush=false): the TLB is not PCID-tagged, so
  // entries of PCID 1 must not serve PCID 2 (§4.10.1): the MMU flushes on every CR3 change.
  m.cpu.cr3Lo = root2 | 2;
  m.cpu.mem.setPagingState(m.cpu, false);
  assert.equal(m.mem.read8(lo, hi), 0x22);
  // Back to PCID 1 with no flush: the SDM allows but does not require old PCID-1 entries; the tables say 0x11.
  m.cpu.cr3Lo = root | 1;
  m.cpu.mem.setPagingState(m.cpu, false);
  assert.equal(m.mem.read8(lo, hi), 0x11);
});

test('a CPL change switches the TLB to the other privilege (supervisor-only page, then CPL 3)', () => {
  const { m, root } = setup(P | RW);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  m.mem.write8(lo, hi, 0x33);
  m.cpu.segSel[1] |= 3;
  m.stateChanged();
  m.cpu.mem.setPagingState(m.cpu, false); // what far transfers do when CPL changes
  assert.deepEqual(pageFault(m, () => m.mem.read8(lo, hi)), { ec: 1 | 4, cr2: LIN });
  assert.deepEqual(pageFault(m, () => m.mem.write8(lo, hi, 1)), { ec: 1 | 2 | 4, cr2: LIN });
});

test('user pages: read and write at CPL 3 through the TLB; a read-filled entry does not allow a write until D is set', () => {
  const { m, t, root, e } = setup(P | RW | US);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE, cpl: 3 });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.read8(lo, hi), 0x11);
  const walks = m.mem.walker.walks;
  assert.equal(m.mem.read8(lo + 1, hi), 0);
  assert.equal(m.mem.walker.walks, walks, 'second read hits the TLB');
  m.mem.write8(lo, hi, 0x44);
  assert.equal(m.mem.walker.walks, walks + 1, 'first write walks to set D');
  assert.equal(t.get64(e[1]) & D, D);
  m.mem.write8(lo + 2, hi, 0x45);
  assert.equal(m.mem.walker.walks, walks + 1, 'later writes hit the TLB');
  assert.equal(m.phys.read8(0x30_0000), 0x44);
});

test('instruction fetches are cached per page after the execute check', () => {
  const { m, root } = setup(P | RW);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  const [lo, hi] = split(LIN);
  assert.equal(m.mem.fetchPhysical(lo, hi), 0x30_0000);
  const walks = m.mem.walker.walks;
  assert.equal(m.mem.fetchPhysical(lo + 7, hi), 0x30_0007);
  assert.equal(m.mem.walker.walks, walks);
});
