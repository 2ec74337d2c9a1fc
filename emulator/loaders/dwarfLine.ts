// dwarfLine.ts: decodes DWARF .debug_line (versions 2 to 5) into address -> file:line rows: the header
// (DWARF 5 §6.2.4, with v5's directory/file entry formats of §6.2.4.1), the standard, extended and
// special opcodes of the line-number state machine (§6.2.5), every sequence of every unit.
import { fail, hex, MAX_NAME, utf8 } from './image';

export interface LineRow {
  address: number;
  /** Path as the producer wrote it: directory joined with the file name (absolute names unchanged). */
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  /** The first address after a sequence (no instruction is at this row). */
  endSequence: boolean;
}

// DW_LNCT_* (DWARF 5 Table 7.27) and DW_FORM_* (Table 7.6) used in v5 entry formats.
const DW_LNCT_PATH = 1, DW_LNCT_DIRECTORY_INDEX = 2;
const DW_FORM_BLOCK2 = 0x03, DW_FORM_BLOCK4 = 0x04, DW_FORM_DATA2 = 0x05, DW_FORM_DATA4 = 0x06, DW_FORM_DATA8 = 0x07;
const DW_FORM_STRING = 0x08, DW_FORM_BLOCK = 0x09, DW_FORM_BLOCK1 = 0x0a, DW_FORM_DATA1 = 0x0b, DW_FORM_SDATA = 0x0d;
const DW_FORM_STRP = 0x0e, DW_FORM_UDATA = 0x0f, DW_FORM_DATA16 = 0x1e, DW_FORM_LINE_STRP = 0x1f;

/** A cursor over one section; failures report the offset in the file (base + position). */
class Cursor {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly base: number, readonly what: string) {}

  need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.b.length) fail(`${this.what} ${field}`, this.base + this.pos, `extends beyond the end of the section (size ${hex(this.b.length)})`);
  }
  u8(field: string): number { this.need(1, field); return this.b[this.pos++]; }
  u16(field: string): number { this.need(2, field); const v = this.b[this.pos] | (this.b[this.pos + 1] << 8); this.pos += 2; return v; }
  u32(field: string): number {
    this.need(4, field);
    const p = this.pos;
    this.pos += 4;
    return (this.b[p] | (this.b[p + 1] << 8) | (this.b[p + 2] << 16) | (this.b[p + 3] << 24)) >>> 0;
  }
  u64(field: string): number { const lo = this.u32(field); return this.u32(field) * 2 ** 32 + lo; }
  /** An unsigned value of `size` bytes (1, 2, 4, 8). */
  uN(size: number, field: string): number {
    if (size === 1) return this.u8(field);
    if (size === 2) return this.u16(field);
    if (size === 4) return this.u32(field);
    if (size === 8) return this.u64(field);
    this.need(size, field);
    this.pos += size;
    return 0;
  }
  uleb(field: string): number {
    let v = 0, scale = 1, byte: number;
    do {
      byte = this.u8(field);
      if (scale < 2 ** 64) v += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return v;
  }
  sleb(field: string): number {
    let v = 0, scale = 1, byte: number;
    do {
      byte = this.u8(field);
      if (scale < 2 ** 64) v += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    if (byte & 0x40 && scale <= 2 ** 64) v -= scale;
    return v;
  }
  cstr(field: string): string {
    const start = this.pos;
    while (this.pos < this.b.length && this.b[this.pos] !== 0) this.pos++;
    if (this.pos >= this.b.length) fail(`${this.what} ${field}`, this.base + start, 'is not NUL-terminated within the section');
    const s = utf8(this.b.subarray(start, this.pos));
    this.pos++;
    return s;
  }
  skip(n: number, field: string): void { this.need(n, field); this.pos += n; }
}

function strAt(sec: Uint8Array | null, off: number, name: string, c: Cursor, field: string): string {
  if (!sec) fail(`${c.what} ${field}`, c.base + c.pos, `refers to ${name}, which the file lacks`);
  if (off >= sec.length) fail(`${c.what} ${field}`, c.base + c.pos, `offset ${hex(off)} is beyond ${name} (size ${hex(sec.length)})`);
  const stop = Math.min(sec.length, off + MAX_NAME); // bounded: a corrupt table stays linear
  let end = off;
  while (end < stop && sec[end] !== 0) end++;
  return utf8(sec.subarray(off, end));
}

/** One v5 directory/file entry: its path and directory index (the other fields are skipped). */
function readEntry(c: Cursor, formats: [number, number][], offsetSize: number, lineStr: Uint8Array | null, str: Uint8Array | null, field: string): { path: string; dir: number } {
  let path = '', dir = 0;
  for (const [content, form] of formats) {
    let value: string | number;
    switch (form) {
      case DW_FORM_STRING: value = c.cstr(field); break;
      case DW_FORM_LINE_STRP: value = strAt(lineStr, c.uN(offsetSize, field), '.debug_line_str', c, field); break;
      case DW_FORM_STRP: value = strAt(str, c.uN(offsetSize, field), '.debug_str', c, field); break;
      case DW_FORM_UDATA: value = c.uleb(field); break;
      case DW_FORM_SDATA: value = c.sleb(field); break;
      case DW_FORM_DATA1: value = c.u8(field); break;
      case DW_FORM_DATA2: value = c.u16(field); break;
      case DW_FORM_DATA4: value = c.u32(field); break;
      case DW_FORM_DATA8: value = c.u64(field); break;
      case DW_FORM_DATA16: c.skip(16, field); value = 0; break;
      case DW_FORM_BLOCK: c.skip(c.uleb(field), field); value = 0; break;
      case DW_FORM_BLOCK1: c.skip(c.u8(field), field); value = 0; break;
      case DW_FORM_BLOCK2: c.skip(c.u16(field), field); value = 0; break;
      case DW_FORM_BLOCK4: c.skip(c.u32(field), field); value = 0; break;
      default: fail(`${c.what} ${field}`, c.base + c.pos, `uses form ${hex(form)}, which a line table header cannot hold`);
    }
    if (content === DW_LNCT_PATH && typeof value === 'string') path = value;
    else if (content === DW_LNCT_DIRECTORY_INDEX && typeof value === 'number') dir = value;
  }
  return { path, dir };
}

/** An entry count: each entry takes at least one byte, so more entries than bytes left is malformed. */
function count(c: Cursor, field: string, formats: number): number {
  const at = c.base + c.pos;
  const n = c.uleb(field);
  if (n > 0 && (formats === 0 || n > c.b.length - c.pos)) fail(`${c.what} ${field}`, at, `(${n}) does not fit in the header`);
  return n;
}

function join(dir: string, file: string): string {
  if (file.startsWith('/') || dir === '') return file;
  return dir.endsWith('/') ? dir + file : `${dir}/${file}`;
}

/**
 * Decodes a whole .debug_line section. `lineStr`/`str` are .debug_line_str and .debug_str (for v5
 * forms); `fileOffset` is where the section starts in the file, for error offsets.
 */
export function parseDebugLine(section: Uint8Array, lineStr: Uint8Array | null, str: Uint8Array | null, fileOffset: number): LineRow[] {
  const rows: LineRow[] = [];
  let unitStart = 0;
  for (let unit = 0; unitStart < section.length; unit++) {
    const c = new Cursor(section, fileOffset, `.debug_line unit ${unit}`);
    c.pos = unitStart;
    let length = c.u32('unit_length');
    let offsetSize = 4;
    if (length === 0xffffffff) { length = c.u64('unit_length'); offsetSize = 8; }
    const bodyStart = c.pos;
    if (length > section.length - bodyStart) fail(`.debug_line unit ${unit} unit_length`, fileOffset + unitStart, `(${hex(length)}) extends beyond the end of the section (size ${hex(section.length)})`);
    const end = bodyStart + length;
    const u = new Cursor(section.subarray(0, end), fileOffset, c.what);
    u.pos = bodyStart;
    decodeUnit(u, offsetSize, lineStr, str, rows);
    unitStart = end;
  }
  return rows;
}

function decodeUnit(c: Cursor, offsetSize: number, lineStr: Uint8Array | null, str: Uint8Array | null, rows: LineRow[]): void {
  const versionAt = c.base + c.pos;
  const version = c.u16('version');
  if (version < 2 || version > 5) fail(`${c.what} version`, versionAt, `is ${version}, expected 2 to 5`);
  let addressSize = 0;
  if (version >= 5) {
    addressSize = c.u8('address_size');
    c.u8('segment_selector_size');
  }
  const headerLength = c.uN(offsetSize, 'header_length');
  const programStart = c.pos + headerLength;
  if (programStart > c.b.length) fail(`${c.what} header_length`, c.base + c.pos, `(${hex(headerLength)}) extends beyond the unit`);
  const minInst = c.u8('minimum_instruction_length');
  if (version >= 4) c.u8('maximum_operations_per_instruction');
  const defaultIsStmt = c.u8('default_is_stmt') !== 0;
  const lineBase = (c.u8('line_base') << 24) >> 24;
  const lineRangeAt = c.base + c.pos;
  const lineRange = c.u8('line_range');
  const opcodeBase = c.u8('opcode_base');
  const stdLengths: number[] = [0];
  for (let k = 1; k < opcodeBase; k++) stdLengths.push(c.u8('standard_opcode_lengths'));

  const dirs: string[] = [];
  const files: { path: string; dir: number }[] = [];
  if (version >= 5) {
    const readFormats = (field: string): [number, number][] => {
      const n = c.u8(field);
      const f: [number, number][] = [];
      for (let k = 0; k < n; k++) f.push([c.uleb(field), c.uleb(field)]);
      return f;
    };
    const dirFormats = readFormats('directory_entry_format');
    const dirCount = count(c, 'directories_count', dirFormats.length);
    for (let k = 0; k < dirCount; k++) dirs.push(readEntry(c, dirFormats, offsetSize, lineStr, str, `directory ${k}`).path);
    const fileFormats = readFormats('file_name_entry_format');
    const fileCount = count(c, 'file_names_count', fileFormats.length);
    for (let k = 0; k < fileCount; k++) files.push(readEntry(c, fileFormats, offsetSize, lineStr, str, `file ${k}`));
  } else {
    // v2-4: directory 0 is the compilation directory (not in this table) and file 1 the first entry.
    dirs.push('');
    for (let s = c.cstr('include_directories'); s !== ''; s = c.cstr('include_directories')) dirs.push(s);
    files.push({ path: '', dir: 0 });
    for (let s = c.cstr('file_names'); s !== ''; s = c.cstr('file_names')) {
      const dir = c.uleb('file_names directory');
      c.uleb('file_names mtime');
      c.uleb('file_names length');
      files.push({ path: s, dir });
    }
  }
  c.pos = programStart;
  const fileName = (k: number): string => {
    const f = files[k];
    if (!f) return `<file ${k}>`;
    return join(dirs[f.dir] ?? '', f.path);
  };

  // The state machine registers (DWARF 5 §6.2.2, Table 6.4), reset at each sequence start.
  let address = 0, file = 1, line = 1, column = 0, isStmt = defaultIsStmt;
  const reset = (): void => { address = 0; file = 1; line = 1; column = 0; isStmt = defaultIsStmt; };
  const emit = (endSequence: boolean): void => {
    rows.push({ address, file: fileName(file), line, column, isStmt, endSequence });
  };
  while (c.pos < c.b.length) {
    const opAt = c.base + c.pos;
    const op = c.u8('opcode');
    if (op >= opcodeBase) {
      if (lineRange === 0) fail(`${c.what} line_range`, lineRangeAt, 'is 0, so special opcodes are undefined');
      const adj = op - opcodeBase;
      address += Math.floor(adj / lineRange) * minInst;
      line += lineBase + (adj % lineRange);
      emit(false);
    } else if (op === 0) {
      const len = c.uleb('extended opcode length');
      if (len === 0 || len > c.b.length - c.pos) fail(`${c.what} extended opcode`, opAt, `length ${hex(len)} is invalid`);
      const next = c.pos + len;
      const sub = c.u8('extended opcode');
      if (sub === 1) { emit(true); reset(); }
      else if (sub === 2) address = c.uN(addressSize || len - 1, 'DW_LNE_set_address');
      c.pos = next; // DW_LNE_define_file, DW_LNE_set_discriminator and vendor opcodes are skipped by length
    } else {
      switch (op) {
        case 1: emit(false); break; // DW_LNS_copy
        case 2: address += c.uleb('DW_LNS_advance_pc') * minInst; break;
        case 3: line += c.sleb('DW_LNS_advance_line'); break;
        case 4: file = c.uleb('DW_LNS_set_file'); break;
        case 5: column = c.uleb('DW_LNS_set_column'); break;
        case 6: isStmt = !isStmt; break;
        case 7: break; // DW_LNS_set_basic_block
        case 8: if (lineRange !== 0) address += Math.floor((255 - opcodeBase) / lineRange) * minInst; break; // DW_LNS_const_add_pc
        case 9: address += c.u16('DW_LNS_fixed_advance_pc'); break;
        default: // prologue_end, epilogue_begin, set_isa and unknown standard opcodes: skip their ULEB operands
          for (let k = 0; k < stdLengths[op]; k++) c.uleb('standard opcode operand');
      }
    }
  }
}
