// paging.test.ts: linear→physical translation with page tables built in memory: every paging mode and
// page size, #PF error codes and CR2 (SDM Vol.3A §4.7), access rights (§4.6), reserved bits
// (§4.3–§4.5 tables), accessed/dirty flags (§4.8) and code running above 4 GiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Access } from '../../emulator/mmu/mmu';
import { StopReason } from '../../emulator/cpu/step';
import { Reg } from '../../emulator/cpu/state';
import {
  A, CR4_LA57, CR4_PAE, CR4_PKE, CR4_PSE, CR4_SMAP, CR4_SMEP, D, enablePaging, G, P, pageFault, PS, RW, split,
  Tables, US, XD,
} from './tables';
import { Machine } from '../../emulator/machine';
import { CpuFeatures } from '../../emulator/cpu/features';

const PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16, PF_PK = 32;

function translate(m: Machine, linear: bigint, access = Access.Read): number {
  const [lo, hi] = split(linear);
  return m.mem.translate(lo, hi, access);
}

/** A 4-level machine with one mapping; returns the machine, tables and the entry addresses. */
function fourLevel(linear: bigint, physical: bigint, leafFlags: bigint, leafLevel = 1, tableFlags = P | RW | US) {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  const entries = t.map(root, 4, linear, physical, leafFlags, leafLevel, tableFlags);
  return { m, t, root, entries };
}

test('4-level paging: 4-KiB, 2-MiB and 1-GiB pages translate (SDM Vol.3A §4.5.4, Figures 4-8, 4-9, 4-10)', () => {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  t.map(root, 4, 0x0000_1234_5678_9000n, 0x0040_0000n, P | RW);
  t.map(root, 4, 0x0000_7fff_ffe0_0000n, 0x0060_0000n, P | RW, 2);
  t.map(root, 4, 0xffff_8000_4000_0000n, 0x8000_0000n, P | RW, 3);
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE });
  assert.equal(translate(m, 0x0000_1234_5678_9abcn), 0x0040_0abc);
  assert.equal(translate(m, 0x0000_7fff_ffe1_2345n), 0x0061_2345);
  assert.equal(translate(m, 0xffff_8000_7fff_fff0n), 0xbfff_fff0);
  // The data path goes through the same walk and the TLB.
  m.phys.writeBytes(0x0040_0abc, Uint8Array.from([0x78, 0x56, 0x34, 0x12]));
  const [lo, hi] = split(0x0000_1234_5678_9abcn);
  assert.equal(m.mem.read32(lo, hi), 0x12345678);
  assert.equal(m.mem.read32(lo, hi), 0x12345678);
});

test('5-level paging: bits 56:48 index the PML5, 4-level ignores them (SDM Vol.3A §4.5.1, Figure 4-8)', () => {
  const m = flatMachine(64);
  const t = new Tables(m);
  const pml5 = t.alloc();
  const pml4 = t.alloc();
  // 5-level: linear 0x0012_3456_789a_b000 → PML5[0x12] → … → 0x50_0000.
  const lin = 0x0012_3456_789a_b000n;
  t.map(pml5, 5, lin, 0x50_0000n, P | RW);
  // 4-level with the same address: bits 47:39 of it index the PML4 (bits 56:48 are not used).
  t.map(pml4, 4, lin, 0x70_0000n, P | RW);
  enablePaging(m, { cr3: BigInt(pml5), cr4: CR4_PAE | CR4_LA57 });
  assert.equal(translate(m, lin | 0x123n), 0x50_0123);
  const upper = 0xff80_0000_0000_1000n; // canonical for 57 bits: bit 56 = 1, PML5 index 0x180
  t.map(pml5, 5, upper, 0x51_0000n, P | RW);
  assert.equal(translate(m, upper), 0x51_0000);
  // An address differing from `lin` only in bits 56:48 is another PML5 entry: not present.
  const f = pageFault(m, () => translate(m, lin ^ (1n << 50n)));
  assert.deepEqual(f, { ec: 0, cr2: lin ^ (1n << 50n) });
  enablePaging(m, { cr3: BigInt(pml4), cr4: CR4_PAE });
  assert.equal(translate(m, lin & 0xffff_ffff_ffffn), 0x70_0000);
  // 2-MiB and 1-GiB pages under a PML5.
  t.map(pml5, 5, 0x0100_0000_0020_0000n, 0x80_0000n, P, 2);
  t.map(pml5, 5, 0x0100_0000_4000_0000n, 0x4000_0000n, P, 3);
  enablePaging(m, { cr3: BigInt(pml5), cr4: CR4_PAE | CR4_LA57 });
  assert.equal(translate(m, 0x0100_0000_0021_0000n), 0x81_0000);
  assert.equal(translate(m, 0x0100_0000_4123_4567n), 0x4123_4567);
});

test('#PF error codes for every P/W/U/I combination, with CR2 = the linear address (SDM Vol.3A §4.7, §4.6.1)', () => {
  // Oracle written from §4.6.1's rules (not from the walker): user accesses need U/S=1 everywhere and,
  // for writes, R/W=1; supervisor writes to read-only pages fault only with CR0.WP=1; fetches fault on
  // XD with NXE. The error code: P = 1 for a protection violation, W/R = write, U/S = CPL 3,
  // I/D = fetch with NXE=1 (PAE/4-level paging, §4.7).
  const lin = 0x0000_0040_0000_3000n;
  let cases = 0;
  for (const present of [false, true]) {
    for (const writable of [false, true]) {
      for (const user of [false, true]) {
        for (const nx of [false, true]) {
          for (const cpl of [0, 3] as const) {
            for (const wp of [false, true]) {
              for (const access of [Access.Read, Access.Write, Access.Execute]) {
                const flags = (present ? P : 0n) | (writable ? RW : 0n) | (user ? US : 0n) | (nx ? XD : 0n);
                const { m } = fourLevel(lin, 0x30_0000n, flags);
                enablePaging(m, { cr3: BigInt(0x200000), cr4: CR4_PAE, nxe: true, wp, cpl });
                let allowed: boolean;
                if (!present) allowed = false;
                else if (access === Access.Execute) allowed = !nx && (cpl === 3 ? user : true);
                else if (cpl === 3) allowed = user && (access === Access.Read || writable);
                else allowed = access === Access.Read || writable || !wp;
                const expected = allowed ? null : {
                  ec: (present ? PF_P : 0) | (access === Access.Write ? PF_W : 0) | (cpl === 3 ? PF_U : 0)
                    | (access === Access.Execute ? PF_ID : 0),
                  cr2: lin + 0x5an,
                };
                const got = pageFault(m, () => translate(m, lin + 0x5an, access));
                assert.deepEqual(got, expected, `P=${present} RW=${writable} US=${user} XD=${nx} CPL=${cpl} WP=${wp} access=${access}`);
                if (allowed) assert.equal(translate(m, lin + 0x5an, access), 0x30_005a);
                cases++;
              }
            }
          }
        }
      }
    }
  }
  assert.equal(cases, 192);
});

test('R/W and U/S are the AND of all levels; XD the OR (SDM Vol.3A §4.6.1)', () => {
  const lin = 0x0000_0000_4000_0000n;
  // Leaf says user + writable, the PDPTE says supervisor + read-only.
  const { m, t, entries } = fourLevel(lin, 0x30_0000n, P | RW | US);
  t.set64(entries[3], (t.get64(entries[3]) & ~(RW | US)));
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, cpl: 3, nxe: true });
  assert.deepEqual(pageFault(m, () => translate(m, lin)), { ec: PF_P | PF_U, cr2: lin });
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, cpl: 0, wp: true, nxe: true });
  assert.deepEqual(pageFault(m, () => translate(m, lin, Access.Write)), { ec: PF_P | PF_W, cr2: lin });
  // XD in the PML4E alone forbids fetches.
  t.set64(entries[4], t.get64(entries[4]) | XD);
  assert.equal(translate(m, lin), 0x30_0000); // the TLB holds no fetch entry: the walk sees XD
  assert.deepEqual(pageFault(m, () => m.mem.fetchPhysical(...split(lin))), { ec: PF_P | PF_ID, cr2: lin });
});

test('reserved bits: RSVD=1 with P=1 (SDM Vol.3A §4.7; Tables 4-14…4-20 for 4/5-level, 4-9…4-11 for PAE)', () => {
  const lin = 0x0000_0000_0040_0000n;
  const check = (what: string, mutate: (t: Tables, e: number[]) => void, setup: { nxe?: boolean; la57?: boolean } = {}, leafLevel = 1, expected: number | null = PF_P | PF_RSVD) => {
    const m = flatMachine(64);
    const t = new Tables(m);
    const root = t.alloc();
    const e = t.map(root, setup.la57 ? 5 : 4, lin, leafLevel === 3 ? 0x4000_0000n : 0x60_0000n, P | RW, leafLevel);
    mutate(t, e);
    enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE | (setup.la57 ? CR4_LA57 : 0), nxe: setup.nxe });
    const f = pageFault(m, () => translate(m, lin | 0x10n));
    assert.deepEqual(f, expected === null ? null : { ec: expected, cr2: lin | 0x10n }, what);
  };
  const or = (level: number, bits: bigint) => (t: Tables, e: number[]) => t.set64(e[level], t.get64(e[level]) | bits);
  check('XD in a PTE with NXE=0', or(1, XD));
  check('XD in a PML4E with NXE=0', or(4, XD));
  check('XD in a PTE with NXE=1 is not reserved', or(1, XD), { nxe: true }, 1, null);
  check('PS in a PML4E', or(4, PS));
  check('PS in a PML5E', or(5, PS), { la57: true });
  check('bits 20:13 of a 2-MiB PDE', or(2, 1n << 13n), {}, 2);
  check('bits 29:13 of a 1-GiB PDPTE', or(3, 1n << 29n), {}, 3);
  check('bits 62:52 are ignored with 4-level paging', or(1, 0x7ffn << 52n), {}, 1, null);
  // Reserved bits are checked before the access rights, and at the first entry that has them.
  check('reserved PML4E over a not-present PTE', (t, e) => { or(4, PS)(t, e); t.set64(e[1], 0n); });
  check('not-present PDE stops before a reserved PTE', (t, e) => { or(1, XD)(t, e); t.set64(e[2], t.get64(e[2]) & ~P); }, {}, 1, 0);
});

test('PAE paging: PDPTE registers, 2-MiB pages, NX and bits 62:52 reserved (SDM Vol.3A §4.4)', () => {
  const m = flatMachine(32);
  const t = new Tables(m);
  const pdpt = 0x10_0020; // 32-byte aligned (CR3[31:5])
  t.set64(pdpt, 0n);
  const pd = t.alloc(), pt = t.alloc();
  t.set64(pdpt + 8 * 2, BigInt(pd) | P);
  t.set64(pd + 8 * 1, BigInt(pt) | P | RW | US);
  t.set64(pt + 8 * 3, 0x1_2345_6000n | P | RW | US); // a frame above 4 GiB (MAXPHYADDR 52)
  t.set64(pd + 8 * 2, 0x60_0000n | P | RW | PS | XD);
  const cr3 = BigInt(pdpt);
  enablePaging(m, { cr3, cr4: CR4_PAE, nxe: true });
  assert.equal(translate(m, 0x8020_3abcn), 0x1_2345_6abc);
  assert.equal(translate(m, 0x8045_6789n), 0x65_6789);
  assert.deepEqual(pageFault(m, () => m.mem.fetchPhysical(0x8045_6789 | 0, 0)), { ec: PF_P | PF_ID, cr2: 0x8045_6789n });
  // PDPTE 0 not present: P=0.
  assert.deepEqual(pageFault(m, () => translate(m, 0x1000n, Access.Write)), { ec: PF_W, cr2: 0x1000n });
  // The PDPTEs are registers loaded from CR3 (§4.4.1): changing memory has no effect until CR3 is loaded.
  t.set64(pdpt + 8 * 2, 0n);
  m.mem.flush();
  assert.equal(translate(m, 0x8020_3abcn), 0x1_2345_6abc);
  m.cpu.mem.setPagingState(m.cpu, true);
  assert.deepEqual(pageFault(m, () => translate(m, 0x8020_3abcn)), { ec: 0, cr2: 0x8020_3abcn });
  t.set64(pdpt + 8 * 2, BigInt(pd) | P);
  m.cpu.mem.setPagingState(m.cpu, true);
  // Bits 62:52 are reserved with PAE paging (Table 4-11), and bit 63 with NXE=0.
  t.set64(pt + 8 * 3, 0x1_2345_6000n | P | (1n << 52n));
  assert.deepEqual(pageFault(m, () => translate(m, 0x8020_3000n)), { ec: PF_P | PF_RSVD, cr2: 0x8020_3000n });
  t.set64(pt + 8 * 3, 0x1_2345_6000n | P | XD);
  enablePaging(m, { cr3, cr4: CR4_PAE, nxe: false });
  assert.deepEqual(pageFault(m, () => translate(m, 0x8020_3000n)), { ec: PF_P | PF_RSVD, cr2: 0x8020_3000n });
  // I/D is 0 with NXE=0 and SMEP=0 (§4.7).
  t.set64(pt + 8 * 3, 0x1_2345_6000n);
  m.mem.flush();
  assert.deepEqual(pageFault(m, () => m.mem.fetchPhysical(0x8020_3000 | 0, 0)), { ec: 0, cr2: 0x8020_3000n });
});

test('32-bit paging: 4-KiB pages, 4-MiB pages with PSE-36 above 4 GiB, PS ignored without CR4.PSE (SDM Vol.3A §4.3, Table 4-4)', () => {
  const m = flatMachine(32);
  const t = new Tables(m);
  const pd = t.alloc(), pt = t.alloc();
  t.set32(pd + 4 * 0x300, pt | 0x7);
  t.set32(pt + 4 * 0x12, 0x0055_5000 | 0x3);
  // 4-MiB page at linear 0x4000_0000; PDE bits 20:13 = 0x03 → physical bits 39:32 (PSE-36).
  t.set32(pd + 4 * 0x100, 0x0080_0000 | (0x03 << 13) | 0x83);
  enablePaging(m, { cr3: BigInt(pd), cr4: CR4_PSE });
  assert.equal(translate(m, 0xc001_2345n), 0x0055_5345);
  assert.equal(translate(m, 0x4012_3456n), 0x3_0092_3456);
  // Bit 21 of a 4-MiB PDE is reserved.
  t.set32(pd + 4 * 0x100, 0x0080_0000 | (1 << 21) | 0x83);
  m.mem.flush();
  assert.deepEqual(pageFault(m, () => translate(m, 0x4000_0000n)), { ec: PF_P | PF_RSVD, cr2: 0x4000_0000n });
  // Without CR4.PSE the PS bit is ignored: the PDE points at a page table (here the frame 0x0080_0000's PTE 0).
  t.set32(0x0080_0000, 0x0066_6000 | 1);
  t.set32(pd + 4 * 0x100, 0x0080_0000 | 0x83);
  enablePaging(m, { cr3: BigInt(pd), cr4: 0 });
  assert.equal(translate(m, 0x4000_0123n), 0x0066_6123);
  // Not present: P=0; user write to a supervisor page: P|W|U; I/D is 0 without SMEP on 32-bit paging.
  assert.deepEqual(pageFault(m, () => translate(m, 0x0000_1000n)), { ec: 0, cr2: 0x1000n });
  enablePaging(m, { cr3: BigInt(pd), cr4: 0, cpl: 3 });
  assert.deepEqual(pageFault(m, () => translate(m, 0x4000_0000n, Access.Write)), { ec: PF_P | PF_W | PF_U, cr2: 0x4000_0000n });
  assert.deepEqual(pageFault(m, () => translate(m, 0xc001_2000n, Access.Write)), { ec: PF_P | PF_W | PF_U, cr2: 0xc001_2000n });
});

test('CR0.WP: supervisor writes to read-only pages (SDM Vol.3A §4.6.1)', () => {
  const lin = 0x0000_0000_0080_0000n;
  const { m } = fourLevel(lin, 0x30_0000n, P | US);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, wp: false });
  assert.equal(translate(m, lin, Access.Write), 0x30_0000);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, wp: true });
  assert.deepEqual(pageFault(m, () => translate(m, lin, Access.Write)), { ec: PF_P | PF_W, cr2: lin });
  // Through the data path too: a write after a read (which filled the TLB for reading) still faults.
  const [lo, hi] = split(lin);
  m.mem.read8(lo, hi);
  assert.deepEqual(pageFault(m, () => m.mem.write8(lo, hi, 1)), { ec: PF_P | PF_W, cr2: lin });
});

test('SMEP and SMAP with EFLAGS.AC and implicit supervisor accesses (SDM Vol.3A §4.6.1)', () => {
  const lin = 0x0000_0000_0090_0000n;
  const { m } = fourLevel(lin, 0x30_0000n, P | RW | US);
  const [lo, hi] = split(lin);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_SMEP });
  assert.deepEqual(pageFault(m, () => m.mem.fetchPhysical(lo, hi)), { ec: PF_P | PF_ID, cr2: lin });
  assert.equal(translate(m, lin), 0x30_0000);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_SMAP, ac: false });
  assert.deepEqual(pageFault(m, () => m.mem.read32(lo, hi)), { ec: PF_P, cr2: lin });
  assert.deepEqual(pageFault(m, () => m.mem.write32(lo, hi, 5)), { ec: PF_P | PF_W, cr2: lin });
  assert.equal(m.mem.fetchPhysical(lo, hi), 0x30_0000); // SMAP does not restrict fetches
  // EFLAGS.AC = 1 permits explicit accesses; the TLB never caches them, so CLAC takes effect at once.
  m.cpu.flags |= 1 << 18;
  m.mem.write32(lo, hi, 0x1234);
  assert.equal(m.mem.read32(lo, hi), 0x1234);
  m.cpu.flags &= ~(1 << 18);
  assert.deepEqual(pageFault(m, () => m.mem.read32(lo, hi)), { ec: PF_P, cr2: lin });
  // Implicit supervisor accesses to user pages fault under SMAP whatever AC says, also at CPL 3 (U/S = 0 in the error code).
  m.cpu.flags |= 1 << 18;
  assert.deepEqual(pageFault(m, () => m.mem.readSystem(lo, hi, 4)), { ec: PF_P, cr2: lin });
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_SMAP, cpl: 3, ac: true });
  assert.deepEqual(pageFault(m, () => m.mem.readSystem(lo, hi, 4)), { ec: PF_P, cr2: lin });
  assert.equal(m.mem.read32(lo, hi), 0x1234); // a user-mode access is not affected by SMAP
});

test('implicit supervisor accesses at CPL 3 reach supervisor pages (SDM Vol.3A §4.6.1)', () => {
  const lin = 0x0000_0000_00a0_0000n;
  const { m } = fourLevel(lin, 0x30_0000n, P | RW);
  m.phys.writeBytes(0x30_0000, Uint8Array.from([1, 2, 3, 4]));
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, cpl: 3 });
  const [lo, hi] = split(lin);
  assert.equal(m.mem.readSystem(lo, hi, 4), 0x04030201);
  assert.deepEqual(pageFault(m, () => m.mem.read32(lo, hi)), { ec: PF_P | PF_U, cr2: lin });
});

/** As WRPKRU does: the new rights reach the walker, and cached permissions go. */
function setPkru(m: Machine, pkru: number): void {
  m.cpu.pkru = pkru;
  m.mem.flush();
  m.mem.setPagingState(m.cpu, true);
}

test('protection keys: PKRU.AD and PKRU.WD for user-mode addresses (SDM Vol.3A §4.6.2)', () => {
  const lin = 0x0000_0000_00b0_0000n;
  const key = 5n;
  const { m } = fourLevel(lin, 0x30_0000n, P | RW | US | (key << 59n));
  const [lo, hi] = split(lin);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_PKE, cpl: 3, wp: true });
  setPkru(m, 1 << 10); // AD for key 5
  assert.deepEqual(pageFault(m, () => translate(m, lin)), { ec: PF_P | PF_U | PF_PK, cr2: lin });
  assert.equal(m.mem.fetchPhysical(lo, hi), 0x30_0000); // keys do not apply to fetches
  setPkru(m, 2 << 10); // WD for key 5
  assert.equal(translate(m, lin), 0x30_0000);
  assert.deepEqual(pageFault(m, () => translate(m, lin, Access.Write)), { ec: PF_P | PF_W | PF_U | PF_PK, cr2: lin });
  // The PK flag reports the key's verdict even when the access rights forbid the access too (§4.7).
  setPkru(m, 1 << 10);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_PKE, cpl: 0, wp: true, ac: false });
  m.cpu.cr4 |= CR4_SMAP;
  m.cpu.mem.setPagingState(m.cpu, true);
  assert.deepEqual(pageFault(m, () => translate(m, lin)), { ec: PF_P | PF_PK, cr2: lin });
  setPkru(m, 2 << 10);
  m.cpu.cr4 &= ~CR4_SMAP;
  // Supervisor writes honour WD only with CR0.WP = 1.
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_PKE, cpl: 0, wp: true });
  assert.deepEqual(pageFault(m, () => translate(m, lin, Access.Write)), { ec: PF_P | PF_W | PF_PK, cr2: lin });
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE | CR4_PKE, cpl: 0, wp: false });
  assert.equal(translate(m, lin, Access.Write), 0x30_0000);
  // Without CR4.PKE the key bits are ignored.
  setPkru(m, 3 << 10);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, cpl: 3 });
  assert.equal(translate(m, lin, Access.Write), 0x30_0000);
});

test('accessed and dirty flags: A on every entry used, D on the final entry on a write (SDM Vol.3A §4.8)', () => {
  const lin = 0x0000_0001_0020_0000n;
  const { m, t, entries } = fourLevel(lin, 0x30_0000n, P | RW);
  const big = t.map(0x200000, 4, lin + 0x20_0000n, 0x40_0000n, P | RW, 2);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE });
  const flags = () => entries.slice(1).map((a) => Number(t.get64(a) & (A | D)));
  assert.deepEqual(flags(), [0, 0, 0, 0]);
  const [lo, hi] = split(lin);
  // A walk that faults sets no accessed flag anywhere (Intel processors update A/D only after a
  // successful walk; §4.8 only says when they are set).
  const leaf = t.get64(entries[1]);
  t.set64(entries[1], 0n);
  assert.deepEqual(pageFault(m, () => m.mem.read32(lo, hi)), { ec: 0, cr2: lin });
  assert.deepEqual(flags(), [0, 0, 0, 0]);
  t.set64(entries[1], leaf);
  m.mem.read32(lo, hi);
  assert.deepEqual(flags(), [32, 32, 32, 32]);
  m.mem.write32(lo, hi, 7); // the TLB entry was filled for reading only: the write walks and sets D
  assert.deepEqual(flags(), [96, 32, 32, 32]);
  // A fault sets neither flag on the leaf.
  t.set64(entries[1], 0x30_0000n | P);
  m.mem.flushPage(lo, hi);
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE, wp: true });
  assert.notEqual(pageFault(m, () => m.mem.write8(lo, hi, 1)), null);
  assert.equal(t.get64(entries[1]) & (A | D), 0n);
  // A 2-MiB page gets D in its PDE.
  const [lo2, hi2] = split(lin + 0x20_0000n);
  m.mem.write8(lo2, hi2, 1);
  assert.equal(t.get64(big[2]) & (A | D), A | D);
  assert.equal(m.phys.read8(0x40_0000), 1);
});

test('code executes from a frame above 4 GiB with page tables above 4 GiB too', () => {
  const m = flatMachine(64, 0x1_0000_0000 + 16 * 1024 * 1024); // 3 GiB low + 1 GiB + 16 MiB above 4 GiB
  const t = new Tables(m, 0x1_0010_0000);
  const root = t.alloc();
  const code = 0x0000_7f00_1234_5000n;
  t.map(root, 4, code, 0x1_0000_3000n, P | RW | G);
  // mov eax, 0x12345678; mov rbx, [rip + 0x10] ; hlt ; data at code + 28
  const bytes = [0xb8, 0x78, 0x56, 0x34, 0x12, 0x48, 0x8b, 0x1d, 0x10, 0, 0, 0, 0xf4];
  m.phys.writeBytes(0x1_0000_3000, Uint8Array.from(bytes));
  m.phys.writeBytes(0x1_0000_3000 + 12 + 16, Uint8Array.from([0xef, 0xbe, 0xad, 0xde, 0x0d, 0xf0, 0xad, 0x0b]));
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE | (1 << 7), nxe: true });
  [m.cpu.ripLo, m.cpu.ripHi] = split(code);
  m.stateChanged();
  m.exec.stopOnException = true;
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Halt);
  assert.equal(m.cpu.lo[Reg.RAX], 0x12345678);
  assert.equal(m.cpu.lo[Reg.RBX] >>> 0, 0xdeadbeef);
  assert.equal(m.cpu.hi[Reg.RBX], 0x0badf00d);
  // Now mark the page XD: the next run of it faults on the fetch with I/D (after the TLB forgets it).
  t.set64(t.map(root, 4, code, 0x1_0000_3000n, P | RW | XD)[1], 0x1_0000_3000n | P | RW | XD);
  m.mem.flushPage(...split(code));
  [m.cpu.ripLo, m.cpu.ripHi] = split(code);
  m.cpu.halted = false;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 14);
  assert.equal(m.exec.lastException?.errorCode, PF_P | PF_ID);
  assert.equal(m.cpu.cr2Lo, 0x1234_5000);
  assert.equal(m.cpu.cr2Hi, 0x7f00);
});

test('readSystem: 8-byte implicit reads across a page boundary, each page translated', () => {
  const m = flatMachine(64);
  const t = new Tables(m);
  const root = t.alloc();
  t.map(root, 4, 0x10_0000n, 0x30_0000n, P | RW);
  t.map(root, 4, 0x10_1000n, 0x50_0000n, P | RW);
  m.phys.writeBytes(0x30_0ffc, Uint8Array.from([1, 2, 3, 4]));
  m.phys.writeBytes(0x50_0000, Uint8Array.from([5, 6, 7, 8]));
  enablePaging(m, { cr3: BigInt(root), cr4: CR4_PAE, cpl: 3 });
  assert.equal(m.mem.readSystem(0x10_0ffc, 0, 8), 0x04030201);
  assert.equal(m.mem.hiResult, 0x08070605);
  m.mem.writeSystem(0x10_0ffe, 0, 4, 0x0d0c0b0a);
  assert.deepEqual([...m.phys.readBytes(0x30_0ffe, 2), ...m.phys.readBytes(0x50_0000, 2)], [0x0a, 0x0b, 0x0c, 0x0d]);
  // A write whose second page is not present stores nothing (both pages are checked first); CR2 is
  // the first byte of the access on the faulting page.
  t.set64(t.map(root, 4, 0x10_1000n, 0x50_0000n, P | RW)[1], 0n);
  assert.deepEqual(pageFault(m, () => m.mem.writeSystem(0x10_0ffe, 0, 4, 0)), { ec: PF_W, cr2: 0x10_1000n });
  assert.equal(m.phys.read8(0x30_0ffe), 0x0a);
});

test('without CPUID Page1GB the PS flag of a PDPTE is reserved (SDM Vol.3A Table 4-16 note)', () => {
  const lin = 0x0000_0000_4000_0000n;
  const { m } = fourLevel(lin, 0x4000_0000n, P | RW, 3);
  const features = CpuFeatures.parse('-pdpe1gb');
  assert.ok(typeof features !== 'string');
  m.cpu.features = features;
  enablePaging(m, { cr3: 0x200000n, cr4: CR4_PAE });
  assert.deepEqual(pageFault(m, () => translate(m, lin)), { ec: PF_P | PF_RSVD, cr2: lin });
});
