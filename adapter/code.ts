// code.ts: the guest's instructions as text for the debugger — one instruction at a linear address, or a
// run of them, decoded in the code size that code last ran in (the decoder records it per block), falling
// back to the current mode, so a listing stays right across 16/32/64-bit switches.
import { disassemble, DisasmLine } from '../assembler/disasm/index';
import { Debuggee } from './debuggee';

export interface Instruction {
  address: number;
  length: number;
  bytes: Uint8Array;
  mnemonic: string;
  operands: string;
  text: string;
  bad: boolean;
  /** The code size it was decoded with. */
  bits: 16 | 32 | 64;
}

/** The code size code at `linear` last ran in (recorded by the executor per decoded block), else the current one. */
export function codeBitsAt(d: Debuggee, linear: number): 16 | 32 | 64 {
  const t = d.translate(linear);
  return (t.physical !== null ? d.machine.exec.codeSizeAt(t.physical) : null) ?? d.mode().codeBits;
}

function toInstruction(l: DisasmLine, bits: 16 | 32 | 64): Instruction {
  return { address: l.address, length: l.bytes.length, bytes: l.bytes, mnemonic: l.mnemonic, operands: l.operands, text: l.text, bad: l.bad, bits };
}

/** The instruction at `linear` (null when its first byte cannot be read). */
export function instructionAt(d: Debuggee, linear: number, bits = codeBitsAt(d, linear)): Instruction | null {
  const r = d.readLinear(linear, 15);
  if (r.bytes.length === 0) return null;
  const [line] = disassemble(r.bytes, { bits, start: linear });
  return line === undefined ? null : toInstruction(line, bits);
}

/** Up to `count` instructions from `linear` (stops at unreadable memory). */
export function instructionsFrom(d: Debuggee, linear: number, count: number, bits = codeBitsAt(d, linear)): Instruction[] {
  const out: Instruction[] = [];
  let at = linear;
  while (out.length < count) {
    const want = Math.min(4096, (count - out.length) * 15);
    const r = d.readLinear(at, want);
    if (r.bytes.length === 0) break;
    const lines = disassemble(r.bytes, { bits, start: at });
    let used = 0;
    for (const l of lines) {
      // The last instruction may have been cut by the read window: decode it again from its start.
      if (l.bad && l.address + 15 > at + r.bytes.length && r.error === null) break;
      out.push(toInstruction(l, bits));
      used = l.address + l.bytes.length - at;
      if (out.length >= count) break;
    }
    if (used === 0) break;
    at += used;
    if (r.error !== null && at >= linear + r.bytes.length) break;
  }
  return out;
}

/** A call-like instruction whose return comes back to the next one: stepping over runs it whole. */
export function isCall(i: Instruction): boolean {
  return /^(call|lcall|int|int3|into|int1|syscall|sysenter)/.test(i.mnemonic) || (i.mnemonic.startsWith('rep') && /\b(movs|stos|cmps|scas|lods|ins|outs)/.test(i.mnemonic + ' ' + i.operands));
}

/** A return-like instruction (leaves the current frame). */
export function isReturn(i: Instruction): boolean {
  return /^(ret|lret|iret|sysret|sysexit)/.test(i.mnemonic);
}
