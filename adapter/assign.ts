// assign.ts: `target = value` in the Debug Console, watch edits and setExpression — a register
// (`rax = 0x7c00`), a bit field (`cr4.la57 = 1`: through the same checks as the guest's MOV to CR4, so the
// #GP it would raise is reported and nothing changes) or memory (`*(u64*)0x7000 = 7`, `qword [rsp] = 0`,
// `phys:` for physical addresses). The value is any expression of evaluate.ts. x87/SSE registers
// (fpuRegisters.ts): `fcw.rc = 3`, `mxcsr = 0x1f80` (refused with LDMXCSR's #GP(0) when a reserved bit is
// set), `xmm0.u32[1] = 5`, `xmm1.f64[0] = 1.5` (a float lane also takes a decimal or inf/nan literal).
import { Debuggee } from './debuggee';
import { evaluate } from './evaluate';
import { canonicalRegister, writeField, writeRegister } from './registers';
import { fpuName, writeFpu, writeFpuField, writeXmmLane, XMM_VIEWS, xmmView } from './fpuRegisters';
import { parseBinary } from './fpuFormat';

const SIZES: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, uint8_t: 1, uint16_t: 2, uint32_t: 4, uint64_t: 8, byte: 1, word: 2, dword: 4, qword: 8 };

/** The position of a top-level `=` that is an assignment (not ==, !=, <=, >=), or -1. */
export function assignmentAt(text: string): number {
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '=' && depth === 0) {
      const prev = text[k - 1] ?? '', next = text[k + 1] ?? '';
      if (next === '=' || prev === '=' || prev === '!' || prev === '<' || prev === '>') { if (next === '=') k++; continue; }
      return k;
    }
  }
  return -1;
}

export function assign(d: Debuggee, text: string): { display: string } | { error: string } {
  const at = assignmentAt(text);
  if (at < 0) return { error: 'not an assignment' };
  const target = text.slice(0, at).trim().replace(/^[$%]/, '');
  const lane = /^(xmm\d+)\.(\w+)\s*\[(.+)\]$/i.exec(target);
  if (lane !== null) return assignLane(d, target, lane[1], lane[2], lane[3], text.slice(at + 1));
  const v = evaluate(d, text.slice(at + 1));
  if ('error' in v) return { error: `value: ${v.error}` };
  const value = v.value;
  const field = /^([A-Za-z][\w]*)\.([A-Za-z][\w]*)$/.exec(target);
  if (field !== null && canonicalRegister(field[1]) === undefined && fpuName(field[1]) !== undefined) {
    const e = writeFpuField(d, field[1], field[2], value);
    return e === null ? { display: `${target} = ${value}` } : { error: e };
  }
  if (canonicalRegister(target) === undefined && fpuName(target) !== undefined) {
    const e = writeFpu(d, target, value);
    return e === null ? { display: `${target} = 0x${value.toString(16)}` } : { error: e };
  }
  if (field !== null && canonicalRegister(field[1]) !== undefined) {
    const e = writeField(d, field[1], field[2], value);
    return e === null ? { display: `${target} = ${value}` } : { error: e };
  }
  if (canonicalRegister(target) !== undefined) {
    const e = writeRegister(d, target, value);
    return e === null ? { display: `${target} = 0x${BigInt.asUintN(64, value).toString(16)}` } : { error: e };
  }
  // Memory: *(TYPE*)EXPR or SIZE [EXPR] / SIZE ptr [EXPR] / [EXPR].
  let size = d.mode().codeBits === 64 ? 8 : 4;
  let address: string | null = null;
  const star = /^\*\s*\(\s*(\w+)\s*\*\s*\)\s*(.+)$/.exec(target);
  const bracket = /^(?:(byte|word|dword|qword)\s+(?:ptr\s+)?)?\[(.+)\]$/i.exec(target);
  if (star !== null) {
    const s = SIZES[star[1].toLowerCase()];
    if (s === undefined) return { error: `unknown type '${star[1]}' (u8, u16, u32, u64)` };
    size = s;
    address = star[2];
  } else if (bracket !== null) {
    if (bracket[1] !== undefined) size = SIZES[bracket[1].toLowerCase()];
    address = bracket[2];
  }
  if (address === null) return { error: `cannot assign to '${target}': give a register, a register.field or memory (*(u64*)ADDR, qword [ADDR])` };
  const physical = /^\s*phys(ical)?:/i.test(address);
  const a = evaluate(d, address.replace(/^\s*phys(ical)?:/i, ''));
  if ('error' in a) return { error: `address: ${a.error}` };
  const bytes = new Uint8Array(size);
  let x = BigInt.asUintN(64, value);
  for (let k = 0; k < size; k++) { bytes[k] = Number(x & 0xffn); x >>= 8n; }
  const linear = Number(BigInt.asUintN(64, a.value));
  if (physical) d.writePhysical(linear, bytes);
  else {
    const r = d.writeLinear(linear, bytes);
    if (r.error !== null) return { error: `cannot write: ${r.error}` };
  }
  return { display: `${target} = 0x${BigInt.asUintN(size * 8, value).toString(16)}` };
}

/** `xmmN.VIEW[INDEX] = VALUE`: one lane; float lanes take a decimal literal as a float, else raw bits. */
function assignLane(d: Debuggee, target: string, register: string, viewText: string, indexText: string, valueText: string): { display: string } | { error: string } {
  const r = fpuName(register);
  if (r?.k !== 'xmm') return { error: `'${register}' is not an XMM register (xmm0–xmm15)` };
  const view = xmmView(viewText);
  if (view === undefined) return { error: `unknown view '${viewText}' of ${register} (u8 u16 u32 u64 f32 f64)` };
  const index = evaluate(d, indexText);
  if ('error' in index) return { error: `index: ${index.error}` };
  const spec = XMM_VIEWS[view];
  let bits = spec.float ? parseBinary(valueText, spec.bits as 32 | 64) : null;
  if (bits === null) {
    const v = evaluate(d, valueText);
    if ('error' in v) return { error: `value: ${v.error}` };
    bits = v.value;
  }
  const e = writeXmmLane(d, r.n, view, index.value > 255n ? 256 : Number(index.value), bits);
  return e === null ? { display: `${target} = 0x${bits.toString(16)}` } : { error: e };
}
