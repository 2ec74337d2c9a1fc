// vgaText.ts: the VGA text screen as a PC leaves it for a boot program — mode 3, 80x25 cells at physical
// 0xB8000, two bytes a cell: the character (code page 437) then its attribute (IBM VGA Technical
// Reference, "Alphanumeric modes"; the memory map select of the Graphics Controller's Miscellaneous
// register = 3 puts the window at B8000–BFFFF). The window is plain readable, writable memory here, as
// the VGA's plane memory behaves in that mode for CPU reads and writes of the displayed page; this
// module only reads the page back as text (the `screen` of the --json report).
import type { PhysicalMemory } from '../mem/physical';

export const VGA_TEXT_BASE = 0xb8000;
export const VGA_COLUMNS = 80;
export const VGA_ROWS = 25;

/**
 * The characters of the displayed page, one line a row, trailing blanks (space, NUL) of each row and
 * trailing blank rows dropped; "" for a blank screen. Bytes 0x20–0x7E are kept, others shown as '.'
 * except NUL, shown as a space.
 */
export function textScreen(phys: PhysicalMemory): string {
  const bytes = phys.readBytes(VGA_TEXT_BASE, VGA_COLUMNS * VGA_ROWS * 2);
  const rows: string[] = [];
  for (let r = 0; r < VGA_ROWS; r++) {
    let line = '';
    for (let c = 0; c < VGA_COLUMNS; c++) {
      const ch = bytes[(r * VGA_COLUMNS + c) * 2];
      line += ch === 0 ? ' ' : ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : '.';
    }
    rows.push(line.replace(/\s+$/, ''));
  }
  while (rows.length && rows[rows.length - 1] === '') rows.pop();
  return rows.join('\n');
}
