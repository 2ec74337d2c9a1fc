// disassembly.ts: the disassemble request — instructions around an address with their symbols and source
// lines, decoded in the code size that code last ran in. x86 cannot be decoded backwards, so instructions
// before the reference are decoded forward from a known instruction boundary (a label or a line-table row)
// and the ones that end exactly at the reference are kept.
import type { DebugProtocol } from '@vscode/debugprotocol';
import path from 'node:path';
import { parseNumber } from '../emulator/loaders/boot';
import { Instruction, codeBitsAt, instructionsFrom } from './code';
import { Debuggee } from './debuggee';
import { hexAddress } from './symbols';

const MAX_COUNT = 4096;

function toDap(d: Debuggee, i: Instruction, lastLocation: { file: string; line: number } | null): DebugProtocol.DisassembledInstruction {
  const loc = d.lines.locate(i.address);
  const sym = d.symbols.symbolize(i.address);
  const out: DebugProtocol.DisassembledInstruction = {
    address: hexAddress(i.address),
    instructionBytes: [...i.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '),
    instruction: i.text,
  };
  if (sym !== null && sym.offset === 0) out.symbol = sym.name;
  if (loc !== null && (lastLocation === null || loc.line !== lastLocation.line || loc.file !== lastLocation.file)) {
    out.location = { name: path.basename(loc.file), path: loc.file };
    out.line = loc.line;
  }
  if (i.bad) out.presentationHint = 'invalid';
  return out;
}

/** Instructions that end exactly at `target`, `count` of them, decoded forward from an earlier boundary. */
function before(d: Debuggee, target: number, count: number, bits: 16 | 32 | 64): Instruction[] {
  for (const back of [count * 4, count * 8, count * 15]) {
    const from = Math.max(0, target - back);
    // Sync points: labels and line rows between `from` and target make decoding start on a boundary.
    const sync = d.symbols.labels.map((s) => s.value).filter((v) => v >= from && v < target);
    const start = sync.length ? Math.min(...sync) : from;
    const list = instructionsFrom(d, start, Math.ceil((target - start) / 1) + 1, bits).filter((i) => i.address < target);
    const last = list[list.length - 1];
    if (last !== undefined && last.address + last.length === target && list.length >= Math.min(count, list.length)) {
      if (list.length >= count || start === from) return list.slice(-count);
    }
  }
  return [];
}

export function describeDisassembly(d: Debuggee, args: DebugProtocol.DisassembleArguments): DebugProtocol.DisassembledInstruction[] {
  const base = parseNumber(args.memoryReference.replace(/^phys(ical)?:/i, ''));
  if (Number.isNaN(base)) throw new Error(`memory reference "${args.memoryReference}" is not an address`);
  const count = Math.max(0, Math.min(args.instructionCount, MAX_COUNT));
  const at = base + (args.offset ?? 0);
  const bits = codeBitsAt(d, at);
  const offset = args.instructionOffset ?? 0;
  let list: Instruction[];
  if (offset < 0) {
    const earlier = before(d, at, -offset, bits);
    list = earlier.concat(instructionsFrom(d, at, Math.max(0, count - earlier.length), bits));
    // Pad to keep the reference at index -offset when fewer could be decoded before it.
    const missing = -offset - earlier.length;
    const pad: Instruction[] = [];
    for (let k = missing; k > 0; k--) pad.push({ address: Math.max(0, at - k), length: 1, bytes: new Uint8Array(0), mnemonic: '', operands: '', text: '??', bad: true, bits });
    list = pad.concat(list);
  } else {
    let start = at;
    if (offset > 0) {
      const skip = instructionsFrom(d, at, offset, bits);
      const last = skip[skip.length - 1];
      start = last ? last.address + last.length : at;
    }
    list = instructionsFrom(d, start, count, bits);
  }
  const out: DebugProtocol.DisassembledInstruction[] = [];
  let last: { file: string; line: number } | null = null;
  for (const i of list.slice(0, count)) {
    out.push(toDap(d, i, last));
    last = d.lines.locate(i.address);
  }
  // Unreadable memory: fill with invalid entries so the view keeps its shape.
  let next = list.length ? list[list.length - 1].address + list[list.length - 1].length : at;
  while (out.length < count) {
    out.push({ address: hexAddress(next), instruction: '??', presentationHint: 'invalid' });
    next++;
  }
  return out;
}
