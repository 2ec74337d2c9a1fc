// bios/acpi.test.ts: the built-in BIOS's ACPI tables (emulator/bios/acpi.ts) found and read as an OS does —
// the RSDP by the search of ACPI 6.4 §5.2.5.1, every table's checksum, the fields at the offsets of the
// spec's tables, the DSDT's \_S5 decoded by the AML grammar (§20) — and, where iasl (ACPICA) is
// installed, each table disassembled by it as the reference. Then the PM1a registers the FADT points at
// (emulator/devices/acpiPm.ts): SCI_EN reads 1, and SLP_TYP = \_S5's value with SLP_EN stops the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAcpiTables } from '../../emulator/bios/acpi';
import { e820Map, installBios } from '../../emulator/bios/bios';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Seg } from '../../emulator/cpu/state';
import { VIRTUAL_HZ } from '../../emulator/devices/time';

const RAM = 64 * 1024 * 1024;

const u8 = (m: Machine, pa: number): number => m.phys.read8(pa);
const u16 = (m: Machine, pa: number): number => u8(m, pa) | (u8(m, pa + 1) << 8);
const u32 = (m: Machine, pa: number): number => (u16(m, pa) | (u16(m, pa + 2) << 16)) >>> 0;
const u64 = (m: Machine, pa: number): number => u32(m, pa) + u32(m, pa + 4) * 2 ** 32;
const text = (m: Machine, pa: number, n: number): string => String.fromCharCode(...m.phys.readBytes(pa, n));
const sum = (m: Machine, pa: number, n: number): number => m.phys.readBytes(pa, n).reduce((s, b) => (s + b) & 0xff, 0);

/** A machine with the BIOS installed; `madt` rewrites the EBDA's tables with the MADT listed. */
function biosMachine(madt = false): Machine {
  const m = new Machine({ memory: RAM });
  installBios(m.phys, m.cpu, { console: () => undefined, ramBytes: RAM });
  if (madt) {
    const ebda = u16(m, 0x40e) * 16;
    const tables = buildAcpiTables(ebda, { madt: true });
    m.phys.writeBytes(ebda + 16, tables.subarray(16));
  }
  return m;
}

/**
 * §5.2.5.1: OSPM looks for "RSD PTR " on 16-byte boundaries in the first KiB of the EBDA (segment at
 * 40:0Eh), then in E0000h–FFFFFh; a candidate counts only with a valid checksum (first 20 bytes).
 */
function findRsdp(m: Machine): number {
  const areas: [number, number][] = [[u16(m, 0x40e) * 16, 1024], [0xe0000, 0x20000]];
  for (const [start, length] of areas) {
    for (let pa = start; pa < start + length; pa += 16) {
      if (text(m, pa, 8) === 'RSD PTR ' && sum(m, pa, 20) === 0) return pa;
    }
  }
  return -1;
}

interface Tables { rsdp: number; rsdt: number; xsdt: number; bySignature: Map<string, number> }

function walk(m: Machine): Tables {
  const rsdp = findRsdp(m);
  assert.ok(rsdp >= 0, 'an RSDP with a valid checksum in the EBDA or E0000h–FFFFFh');
  const rsdt = u32(m, rsdp + 16), xsdt = u64(m, rsdp + 24);
  const bySignature = new Map<string, number>();
  // §5.2.8: XSDT entries are 64-bit physical addresses after the 36-byte header.
  for (let e = xsdt + 36; e < xsdt + u32(m, xsdt + 4); e += 8) bySignature.set(text(m, u64(m, e), 4), u64(m, e));
  return { rsdp, rsdt, xsdt, bySignature };
}

test('the RSDP is where OSPM searches: revision 2, both checksums right, RSDT and XSDT listing the same tables', () => {
  const m = biosMachine();
  const t = walk(m);
  // §5.2.5.3 Table 5.3: Revision at 15, Length at 20, Extended Checksum over all Length bytes.
  assert.equal(t.rsdp % 16, 0);
  assert.equal(u8(m, t.rsdp + 15), 2);
  assert.equal(u32(m, t.rsdp + 20), 36);
  assert.equal(sum(m, t.rsdp, 36), 0, 'extended checksum');
  assert.equal(text(m, t.rsdt, 4), 'RSDT');
  assert.equal(text(m, t.xsdt, 4), 'XSDT');
  const rsdtEntries: number[] = [];
  for (let e = t.rsdt + 36; e < t.rsdt + u32(m, t.rsdt + 4); e += 4) rsdtEntries.push(u32(m, e));
  assert.deepEqual(rsdtEntries, [...t.bySignature.values()]);
  // The MADT is left out by default (emulator/bios/acpi.ts: Linux would route the ISA interrupts to an
  // I/O APIC this machine lacks).
  assert.deepEqual([...t.bySignature.keys()], ['FACP']);
  const fadt = t.bySignature.get('FACP')!;
  const dsdt = u32(m, fadt + 40);
  // §5.2.6: every description table sums to 0 over its Length.
  for (const pa of [t.rsdt, t.xsdt, fadt, dsdt]) {
    assert.equal(sum(m, pa, u32(m, pa + 4)), 0, `${text(m, pa, 4)} checksum`);
  }
  // The tables lie in memory the E820 map does not give the OS as RAM (§15: type 1 is usable).
  const end = Math.max(fadt + 276, dsdt + u32(m, dsdt + 4));
  for (const e of e820Map(RAM).filter((r) => r.type === 1)) {
    assert.ok(end <= e.base || t.rsdp >= e.base + e.length, `tables overlap usable RAM at 0x${e.base.toString(16)}`);
  }
});

test('the FADT: PM1a event and control blocks and the PM timer at ports the machine answers, SMI_CMD 0, SCI on IRQ 9, FACS and DSDT', () => {
  const m = biosMachine();
  const fadt = walk(m).bySignature.get('FACP')!;
  // §5.2.9 Table 5.9 offsets.
  assert.equal(u32(m, fadt + 4), 276, 'Length (ACPI 6.x)');
  assert.equal(u8(m, fadt + 8), 6, 'major version');
  assert.equal(u32(m, fadt + 48), 0, 'SMI_CMD: no SMM, always in ACPI mode');
  assert.equal(u16(m, fadt + 46), 9, 'SCI_INT');
  const evt = u32(m, fadt + 56), cnt = u32(m, fadt + 64), tmr = u32(m, fadt + 76);
  assert.deepEqual([u8(m, fadt + 88), u8(m, fadt + 89), u8(m, fadt + 91)], [4, 2, 4], 'PM1_EVT_LEN, PM1_CNT_LEN, PM_TMR_LEN');
  assert.deepEqual([u32(m, fadt + 60), u32(m, fadt + 68), u32(m, fadt + 80)], [0, 0, 0], 'no PM1b blocks, no GPE0');
  // X_PM1a_EVT_BLK 148, X_PM1a_CNT_BLK 172, X_PM_TMR_BLK 208: GAS (§5.2.3.2) in System I/O space, same ports.
  for (const [at, port, bits] of [[148, evt, 32], [172, cnt, 16], [208, tmr, 32]]) {
    assert.equal(u8(m, fadt + at), 1, 'System I/O');
    assert.equal(u8(m, fadt + at + 1), bits);
    assert.equal(u64(m, fadt + at + 4), port);
  }
  assert.equal(u64(m, fadt + 140), u32(m, fadt + 40), 'X_DSDT = DSDT');
  const facs = u32(m, fadt + 36);
  assert.equal(facs % 64, 0, 'FACS 64-byte aligned (§5.2.10)');
  assert.equal(text(m, facs, 4), 'FACS');
  assert.equal(u32(m, facs + 4), 64);
  // The ports: claimed by the ACPI PM device only, and nothing else of the machine's sits there.
  const bus = m.devices!.bus;
  for (let p = evt; p < evt + 4; p++) assert.equal(bus.deviceAt(p), m.devices!.acpiPm);
  for (let p = cnt; p < cnt + 2; p++) assert.equal(bus.deviceAt(p), m.devices!.acpiPm);
  for (let p = tmr; p < tmr + 4; p++) assert.equal(bus.deviceAt(p), m.devices!.acpiPm);
  // §4.8.3.2.1: SCI_EN (PM1 control bit 0) is 1; PM1 status reads 0 with nothing pending.
  assert.equal(bus.in(cnt, 2) & 1, 1);
  assert.equal(bus.in(evt, 2), 0);
  bus.out(evt + 2, 2, 0x0121);
  assert.equal(bus.in(evt + 2, 2), 0x0121, 'PM1 enable keeps TMR_EN, GBL_EN, PWRBTN_EN');
});

test('the PM timer counts at 3.579545 MHz of virtual time (§4.8.3.3), 24 bits wide', () => {
  const m = biosMachine();
  const tmr = u32(m, walk(m).bySignature.get('FACP')! + 76);
  const before = m.devices!.bus.in(tmr, 4);
  m.cpu.icount += VIRTUAL_HZ / 10; // 0.1 s
  const after = m.devices!.bus.in(tmr, 4);
  assert.equal(after >>> 24, 0);
  assert.ok(Math.abs(((after - before) & 0xffffff) - 357954) <= 1, `${after - before} ticks in 0.1 s`);
});

/**
 * Decodes `Name (_S5, Package () { ... })` from a DSDT's definition block by the AML grammar (ACPI 6.4
 * §20.2): NameOp 08h NameSeg, PackageOp 12h PkgLength NumElements, elements ZeroOp 00h, OneOp 01h,
 * BytePrefix 0Ah ByteData, WordPrefix 0Bh WordData. Returns the package's integers, or null.
 */
function decodeS5(aml: Uint8Array): number[] | null {
  let k = 0;
  const pkgLength = (): number => {
    // §20.2.4: bits 7:6 of the lead byte count the bytes that follow; with none, bits 5:0 are the length.
    const lead = aml[k++], follow = lead >>> 6;
    if (follow === 0) return lead & 0x3f;
    let n = lead & 0x0f;
    for (let b = 0; b < follow; b++) n |= aml[k++] << (4 + 8 * b);
    return n;
  };
  while (k < aml.length) {
    if (aml[k] !== 0x08) return null; // this DSDT holds only DefName objects
    const name = String.fromCharCode(...aml.subarray(k + 1, k + 5));
    k += 5;
    if (aml[k++] !== 0x12) return null;
    const start = k, length = pkgLength(), count = aml[k++];
    const values: number[] = [];
    while (values.length < count) {
      const op = aml[k++];
      if (op === 0x00) values.push(0);
      else if (op === 0x01) values.push(1);
      else if (op === 0x0a) values.push(aml[k++]);
      else if (op === 0x0b) { values.push(aml[k] | (aml[k + 1] << 8)); k += 2; } else return null;
    }
    assert.equal(k, start + length, 'PkgLength covers the package');
    if (name === '_S5_') return values;
  }
  return null;
}

function s5(m: Machine): { slpTyp: number; cnt: number } {
  const fadt = walk(m).bySignature.get('FACP')!;
  const dsdt = u32(m, fadt + 40);
  assert.equal(text(m, dsdt, 4), 'DSDT');
  const values = decodeS5(m.phys.readBytes(dsdt + 36, u32(m, dsdt + 4) - 36));
  assert.ok(values !== null && values.length >= 2, 'a \\_S5 package in the DSDT');
  return { slpTyp: values[0], cnt: u32(m, fadt + 64) };
}

test('the DSDT defines \\_S5 as a package whose first element is a 3-bit SLP_TYP (§7.4.2.5)', () => {
  const { slpTyp } = s5(biosMachine());
  assert.ok(slpTyp >= 0 && slpTyp < 8);
});

test('the MADT, when listed: local APIC at 0xFEE00000, PCAT_COMPAT, one enabled processor whose APIC ID is the local APIC\'s', () => {
  const m = biosMachine(true);
  const t = walk(m);
  assert.deepEqual([...t.bySignature.keys()], ['FACP', 'APIC']);
  const madt = t.bySignature.get('APIC')!;
  assert.equal(sum(m, madt, u32(m, madt + 4)), 0, 'checksum');
  for (const pa of [t.rsdp, t.rsdt, t.xsdt]) assert.equal(sum(m, pa, pa === t.rsdp ? 36 : u32(m, pa + 4)), 0);
  // §5.2.12 Table 5.43: Local Interrupt Controller Address 36, Flags 40; structures from 44.
  assert.equal(u32(m, madt + 36), 0xfee00000);
  assert.equal(u32(m, madt + 40) & 1, 1);
  const structures: number[][] = [];
  for (let e = madt + 44; e < madt + u32(m, madt + 4); e += u8(m, e + 1)) structures.push([...m.phys.readBytes(e, u8(m, e + 1))]);
  assert.equal(structures.length, 1, 'one structure: no I/O APIC in this machine');
  // §5.2.12.2 Table 5.45: Type 0, Length 8, UID, APIC ID, Flags bit 0 Enabled.
  const [type, length, , apicId, flags] = structures[0];
  assert.deepEqual([type, length, flags & 1], [0, 8, 1]);
  // SDM Vol.3A §11.4.6: the local APIC ID register (FEE00020h) holds the ID in bits 31:24.
  assert.equal(u32(m, 0xfee00020) >>> 24, apicId);
});

/** Real mode at 0000:1000, running `code`, with the BIOS's tables installed. */
function runReal(code: number[]): Machine {
  const m = biosMachine();
  const cpu = m.cpu;
  cpu.reset();
  for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segBaseHi[s] = 0; cpu.segLimit[s] = 0xffff; }
  cpu.segAttr[Seg.CS] = 0x9b;
  cpu.ripLo = 0x1000;
  cpu.ripHi = 0;
  m.phys.writeBytes(0x1000, Uint8Array.from(code));
  m.stateChanged();
  m.run({ maxInstructions: 1000 });
  return m;
}

/** mov $port, %dx; mov $value, %ax; out %ax, %dx; cli; hlt (BA iw, B8 iw, EF, FA, F4: SDM Vol.2 MOV, OUT, CLI, HLT). */
const outw = (port: number, value: number): number[] => [0xba, port & 0xff, port >>> 8, 0xb8, value & 0xff, value >>> 8, 0xef, 0xfa, 0xf4];

test('writing \\_S5\'s SLP_TYP with SLP_EN to PM1a_CNT powers the machine off; SLP_TYP alone does not', () => {
  const { slpTyp, cnt } = s5(biosMachine());
  // §4.8.3.2.1 Table 4.14: SLP_TYP bits 12:10, SLP_EN bit 13; SCI_EN (bit 0) written back as read.
  const typOnly = runReal(outw(cnt, (slpTyp << 10) | 1));
  assert.equal(typOnly.lastStop.reason, StopReason.Halt);
  const off = runReal(outw(cnt, (slpTyp << 10) | (1 << 13) | 1));
  assert.equal(off.lastStop.reason, StopReason.PowerOff);
  assert.equal(off.lastStop.detail, 'ACPI power off (S5)');
  const other = runReal(outw(cnt, (((slpTyp + 1) & 7) << 10) | (1 << 13) | 1));
  assert.equal(other.lastStop.reason, StopReason.Halt, 'a sleep type the DSDT does not define');
});

function iaslMissing(): string | undefined {
  const r = spawnSync('iasl', ['-v'], { encoding: 'utf8' });
  return r.error !== undefined ? 'iasl (acpica-tools) is not installed: the ACPICA disassembly reference is skipped' : undefined;
}

// The RSDP is not a description table (no header): iasl -d rejects it as a file ("does not contain a valid
// ACPI table"), so it is checked above against §5.2.5.3 only.
test('iasl (ACPICA) disassembles every description table and the FACS without a checksum or length complaint and reads our fields', { skip: iaslMissing() }, () => {
  const m = biosMachine(true);
  const t = walk(m);
  const fadt = t.bySignature.get('FACP')!;
  const tables: [string, number, number][] = [
    ['rsdt', t.rsdt, u32(m, t.rsdt + 4)], ['xsdt', t.xsdt, u32(m, t.xsdt + 4)],
    ['facp', fadt, u32(m, fadt + 4)], ['apic', t.bySignature.get('APIC')!, 52], ['facs', u32(m, fadt + 36), 64],
    ['dsdt', u32(m, fadt + 40), u32(m, u32(m, fadt + 40) + 4)],
  ];
  const work = mkdtempSync(join(tmpdir(), 'trampoline-acpi-'));
  try {
    const out: Record<string, string> = {};
    for (const [name, pa, length] of tables) {
      const file = join(work, `${name}.dat`);
      writeFileSync(file, m.phys.readBytes(pa, length));
      const r = spawnSync('iasl', ['-d', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `iasl -d ${name}: ${r.stdout}${r.stderr}`);
      out[name] = readFileSync(join(work, `${name}.dsl`), 'utf8');
      assert.doesNotMatch(out[name], /Incorrect checksum|Invalid|Error/i, `${name}:\n${out[name]}`);
    }
    const field = (name: string, label: string): string => {
      const line = out[name].split('\n').find((l) => l.includes(label) && l.includes(' : '));
      assert.ok(line !== undefined, `${name}: no '${label}' in\n${out[name]}`);
      return line.slice(line.lastIndexOf(' : ') + 3).trim();
    };
    assert.equal(field('facp', 'SMI Command Port'), '00000000');
    assert.equal(field('facp', 'PM1A Event Block Address'), '00000600');
    assert.equal(field('facp', 'PM1A Control Block Address'), '00000604');
    assert.equal(field('facp', 'PM Timer Block Address'), '00000608');
    assert.equal(field('facp', 'SCI Interrupt'), '0009');
    assert.equal(field('apic', 'Local Apic Address'), 'FEE00000');
    assert.equal(field('apic', 'Processor Enabled'), '1');
    // ACPICA's reading of \_S5 is the one our decoder (decodeS5, §20.2) makes of the same bytes.
    const s5Text = /Name \(_S5, Package \(0x04\)[^\n]*\n\s*\{([^}]*)\}\)/.exec(out.dsdt);
    assert.ok(s5Text !== null, out.dsdt);
    const iaslValues = (s5Text[1].match(/0x[0-9A-F]+|Zero|One/g) ?? []).map((t) => (t === 'Zero' ? 0 : t === 'One' ? 1 : Number(t)));
    const dsdt = u32(m, fadt + 40);
    assert.deepEqual(iaslValues, decodeS5(m.phys.readBytes(dsdt + 36, u32(m, dsdt + 4) - 36)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
