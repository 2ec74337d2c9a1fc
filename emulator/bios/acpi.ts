// acpi.ts: the built-in BIOS's ACPI tables — RSDP, RSDT, XSDT, FADT, FACS and a DSDT holding only \_S5 —
// the least an OS needs to power the machine off through the PM1a control register (devices/acpiPm.ts).
// They sit in the EBDA (9FC00h, 1 KiB, reserved in the E820 map): the RSDP in its first 1 KiB on a 16-byte
// boundary, where OSPM searches (ACPI 6.4 §5.2.5.1). Field offsets are those of the ACPI 6.4 tables cited
// at each builder.
//
// A MADT (the one processor's local APIC) is built but not installed by default (AcpiOptions.madt): Linux
// takes any MADT as an SMP configuration (early_acpi_process_madt sets smp_found_config) and goes to
// "symmetric I/O mode", which routes the ISA interrupts through an I/O APIC. This machine has none (only
// the 8259 pair behind LINT0), and setup_local_APIC leaves LINT0 masked there — it soft-disables the APIC
// first, which sets every LVT mask (SDM Vol.3A §11.4.7.2) — so no 8259 interrupt reaches the CPU again
// (seen with Debian's 6.1 kernel: the serial transmit interrupt never comes and /init's line is lost).
// Install it once the machine has an I/O APIC to list with it.
import {
  PM1_CNT_LEN, PM1_EVT_LEN, PM1A_CNT_BLK, PM1A_EVT_BLK, PM_TMR_BLK, PM_TMR_LEN, SCI_IRQ, SLP_TYP_S5,
} from '../devices/acpiPm';
import { RTC_CENTURY } from '../devices/cmos';
import { APIC_BASE } from '../devices/apic';

export const OEM_ID = 'TRAMPL';
export const OEM_TABLE_ID = 'TRAMPOLN';
const CREATOR_ID = 'TRMP';

/** Where each structure goes, as offsets in the EBDA (byte 0 is the EBDA's size in KiB). */
export const ACPI_LAYOUT = {
  rsdp: 0x010, // 16-byte aligned (§5.2.5.1)
  facs: 0x040, // 64-byte aligned (§5.2.10)
  dsdt: 0x080,
  rsdt: 0x0b8,
  xsdt: 0x0e8,
  fadt: 0x120,
  madt: 0x238,
  end: 0x26c,
} as const;

/** System description table header length (§5.2.6, Table 5.4). */
export const HEADER_LENGTH = 36;
/** FADT length for major version 6 (§5.2.9, Table 5.9: Hypervisor Vendor Identity ends at 276). */
export const FADT_LENGTH = 276;
export const FACS_LENGTH = 64;
export const RSDP_LENGTH = 36;

/**
 * The DSDT's AML (ACPI 6.4 §20.2): Name (_S5, Package (4) { 5, 5, Zero, Zero }) — the \_S5 object of
 * §7.4.2.5: PM1a_CNT.SLP_TYP, PM1b_CNT.SLP_TYP, then reserved entries.
 *   DefName      := NameOp NameString DataRefObject            (§20.2.5.1)   NameOp = 0x08
 *   NameString   := NameSeg: '_S5_' (a 4-character NameSeg, §20.2.2; '_' pads)
 *   DefPackage   := PackageOp PkgLength NumElements PackageElementList (§20.2.5.4) PackageOp = 0x12
 *   PkgLength    := one byte, bits 7:6 = 0, length of itself and what follows it = 8 (§20.2.4)
 *   NumElements  := ByteData 4
 *   elements     := BytePrefix 0x0A ByteData 5, twice (§20.2.3 ByteConst); ZeroOp 0x00, twice
 */
export const S5_AML = Uint8Array.of(
  0x08, 0x5f, 0x53, 0x35, 0x5f,
  0x12, 0x08, 0x04,
  0x0a, SLP_TYP_S5, 0x0a, SLP_TYP_S5, 0x00, 0x00,
);

/** The byte that makes `bytes[start..start+length)` sum to 0 mod 256, written at `at`. */
function setChecksum(bytes: Uint8Array, start: number, length: number, at: number): void {
  bytes[at] = 0;
  let sum = 0;
  for (let k = start; k < start + length; k++) sum = (sum + bytes[k]) & 0xff;
  bytes[at] = (0x100 - sum) & 0xff;
}

function ascii(bytes: Uint8Array, at: number, text: string): void {
  for (let k = 0; k < text.length; k++) bytes[at + k] = text.charCodeAt(k);
}

/** §5.2.6 Table 5.4: Signature 0, Length 4, Revision 8, Checksum 9, OEMID 10, OEM Table ID 16, OEM Revision 24, Creator ID 28, Creator Revision 32. */
function header(b: Uint8Array, v: DataView, at: number, signature: string, length: number, revision: number): void {
  ascii(b, at, signature);
  v.setUint32(at + 4, length, true);
  b[at + 8] = revision;
  ascii(b, at + 10, OEM_ID);
  ascii(b, at + 16, OEM_TABLE_ID);
  v.setUint32(at + 24, 1, true);
  ascii(b, at + 28, CREATOR_ID);
  v.setUint32(at + 32, 1, true);
}

/**
 * §5.2.3.2 Table 5.1, Generic Address Structure: space 0 (1 = System I/O), bit width 1, bit offset 2,
 * access size 3 (1 byte, 2 word, 3 dword), address 4. `access` is the width of the block's registers.
 */
function gas(b: Uint8Array, v: DataView, at: number, port: number, bytes: number, access: number): void {
  b[at] = 1;
  b[at + 1] = bytes * 8;
  b[at + 2] = 0;
  b[at + 3] = access === 1 ? 1 : access === 2 ? 2 : 3;
  v.setUint32(at + 4, port, true);
  v.setUint32(at + 8, 0, true);
}

/** Sets a 64-bit little-endian field from a physical address below 4 GiB. */
function set64(v: DataView, at: number, value: number): void {
  v.setUint32(at, value >>> 0, true);
  v.setUint32(at + 4, 0, true);
}

export interface AcpiOptions {
  /** List the MADT in the RSDT/XSDT (default false: see the file comment). */
  madt?: boolean;
}

/**
 * The EBDA's first ACPI_LAYOUT.end bytes with the tables in place, for an EBDA at physical `ebda`; byte 0
 * (the EBDA size in KiB) is left 0 for the caller to set.
 */
export function buildAcpiTables(ebda: number, options: AcpiOptions = {}): Uint8Array {
  const L = ACPI_LAYOUT;
  const b = new Uint8Array(L.end);
  const v = new DataView(b.buffer);
  const at = (offset: number): number => ebda + offset;

  // FACS (§5.2.10, Table 5.14): Signature 0, Length 4, Hardware Signature 8, Firmware Waking Vector 12,
  // Global Lock 16, Flags 20, X_Firmware Waking Vector 24, Version 32 (2), OSPM Flags 36. No checksum.
  ascii(b, L.facs, 'FACS');
  v.setUint32(L.facs + 4, FACS_LENGTH, true);
  b[L.facs + 32] = 2;

  // DSDT (§5.2.11.1): the header, then the AML definition block. Revision 2: integers are 64 bits.
  const dsdtLength = HEADER_LENGTH + S5_AML.length;
  header(b, v, L.dsdt, 'DSDT', dsdtLength, 2);
  b.set(S5_AML, L.dsdt + HEADER_LENGTH);
  setChecksum(b, L.dsdt, dsdtLength, L.dsdt + 9);

  // FADT (§5.2.9, Table 5.9), signature "FACP", major version 6 (header revision), minor version 4 (offset 131).
  const f = L.fadt;
  header(b, v, f, 'FACP', FADT_LENGTH, 6);
  v.setUint32(f + 36, at(L.facs), true); // FIRMWARE_CTRL
  v.setUint32(f + 40, at(L.dsdt), true); // DSDT
  b[f + 45] = 0; // Preferred_PM_Profile: unspecified
  v.setUint16(f + 46, SCI_IRQ, true); // SCI_INT: an 8259 IRQ (no I/O APIC)
  // SMI_CMD 48 = 0, ACPI_ENABLE 52 = ACPI_DISABLE 53 = 0: "a value of zero [in SMI_CMD] indicates that the
  // system does not support System Management mode", so the OS finds the machine in ACPI mode (SCI_EN = 1).
  v.setUint32(f + 56, PM1A_EVT_BLK, true); // PM1a_EVT_BLK
  v.setUint32(f + 64, PM1A_CNT_BLK, true); // PM1a_CNT_BLK
  v.setUint32(f + 76, PM_TMR_BLK, true); // PM_TMR_BLK
  b[f + 88] = PM1_EVT_LEN;
  b[f + 89] = PM1_CNT_LEN;
  b[f + 91] = PM_TMR_LEN;
  // GPE0/GPE1 blocks absent (80, 84, 92, 93 = 0). P_LVL2_LAT > 100 and P_LVL3_LAT > 1000: no C2, no C3.
  v.setUint16(f + 96, 0x0fff, true);
  v.setUint16(f + 98, 0x0fff, true);
  b[f + 108] = RTC_CENTURY; // CENTURY: the CMOS index of the century byte
  // IAPC_BOOT_ARCH (§5.2.9.3, Table 5.11): bit 0 LEGACY_DEVICES (ISA devices), bit 1 8042.
  v.setUint16(f + 109, 0x0003, true);
  // Flags (§5.2.9, Table 5.10): bit 0 WBINVD, bit 2 PROC_C1 (HLT), bit 4 PWR_BUTTON and bit 5 SLP_BUTTON
  // (1 = no fixed-feature button), bit 6 FIX_RTC (1 = no RTC wake status). TMR_VAL_EXT (bit 8) = 0: 24 bits.
  v.setUint32(f + 112, (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6), true);
  b[f + 131] = 4; // FADT Minor Version
  set64(v, f + 140, at(L.dsdt)); // X_DSDT (same as DSDT; X_FIRMWARE_CTRL 132 stays 0, FIRMWARE_CTRL is used)
  // X_PM1a_EVT_BLK holds two 16-bit registers (status, enable: §4.8.3.1), X_PM1a_CNT_BLK one, the timer 32 bits.
  gas(b, v, f + 148, PM1A_EVT_BLK, PM1_EVT_LEN, 2); // X_PM1a_EVT_BLK
  gas(b, v, f + 172, PM1A_CNT_BLK, PM1_CNT_LEN, 2); // X_PM1a_CNT_BLK
  gas(b, v, f + 208, PM_TMR_BLK, PM_TMR_LEN, 4); // X_PM_TMR_BLK
  setChecksum(b, f, FADT_LENGTH, f + 9);

  // MADT (§5.2.12, Table 5.43), written even when not listed: header, Local Interrupt Controller Address 36, Flags 40 (bit 0 PCAT_COMPAT:
  // the 8259s are present), then one Processor Local APIC structure (§5.2.12.2, Table 5.45): Type 0,
  // Length 8, ACPI Processor UID, APIC ID, Flags (bit 0 Enabled).
  const m = L.madt, madtLength = HEADER_LENGTH + 8 + 8;
  header(b, v, m, 'APIC', madtLength, 5);
  v.setUint32(m + 36, APIC_BASE, true);
  v.setUint32(m + 40, 1, true);
  b[m + 44] = 0; b[m + 45] = 8; b[m + 46] = 0; b[m + 47] = 0;
  v.setUint32(m + 48, 1, true);
  setChecksum(b, m, madtLength, m + 9);

  // RSDT (§5.2.7): 32-bit entries; XSDT (§5.2.8): 64-bit entries. Both list the FADT (and the MADT).
  const entries = options.madt === true ? [at(L.fadt), at(L.madt)] : [at(L.fadt)];
  const rsdtLength = HEADER_LENGTH + 4 * entries.length;
  header(b, v, L.rsdt, 'RSDT', rsdtLength, 1);
  entries.forEach((p, k) => v.setUint32(L.rsdt + HEADER_LENGTH + 4 * k, p, true));
  setChecksum(b, L.rsdt, rsdtLength, L.rsdt + 9);
  const xsdtLength = HEADER_LENGTH + 8 * entries.length;
  header(b, v, L.xsdt, 'XSDT', xsdtLength, 1);
  entries.forEach((p, k) => set64(v, L.xsdt + HEADER_LENGTH + 8 * k, p));
  setChecksum(b, L.xsdt, xsdtLength, L.xsdt + 9);

  // RSDP (§5.2.5.3, Table 5.3): Signature 0 "RSD PTR ", Checksum 8 (bytes 0–19), OEMID 9, Revision 15
  // (2: ACPI 2.0 and later), RsdtAddress 16, Length 20, XsdtAddress 24, Extended Checksum 32 (all 36 bytes).
  const r = L.rsdp;
  ascii(b, r, 'RSD PTR ');
  ascii(b, r + 9, OEM_ID);
  b[r + 15] = 2;
  v.setUint32(r + 16, at(L.rsdt), true);
  v.setUint32(r + 20, RSDP_LENGTH, true);
  set64(v, r + 24, at(L.xsdt));
  setChecksum(b, r, 20, r + 8);
  setChecksum(b, r, RSDP_LENGTH, r + 32);
  return b;
}
