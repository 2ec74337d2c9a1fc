// disasm/att.ts: formats a decoded instruction as AT&T text the way GNU objdump -d prints it, so the
// decoder can be checked against objdump byte for byte and the debugger can show familiar text.
import { CC_NAMES, Form, GPR16, GPR32, GPR64, Loc, Operand, SREG_NAMES } from '../../emulator/isa/form';
import { EaKind, Insn } from '../../emulator/cpu/insn';
import { isEnvForm, x87Suffixes } from '../mnemonics';

export interface AttOptions {
  /** Code size the instruction was decoded in. */
  mode: 16 | 32 | 64;
  /**
   * The instruction's bytes (at least insn.len of them). Optional: with them, prefixes that change
   * nothing visible (data16, addr32, segment prefixes on register forms) are printed as objdump does.
   */
  bytes?: ArrayLike<number>;
  /** A WAIT (9B) came first: print the form's waiting name (fninit → finit), as objdump folds the pair. */
  wait?: boolean;
}

const REX8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil'];
const HI8 = ['ah', 'ch', 'dh', 'bh'];
const SUFFIX: Record<number, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };
const STRING_OP = /^(movs|cmps|stos|lods|scas|ins|outs)([bwdq]?)$/;
// Forms whose operand size defaults to the stack or branch width: objdump adds a suffix only when
// an operand-size prefix (or REX.W) overrides that default.
const ATT_BASES = new Set(['lret', 'ljmp', 'lcall', 'iret', 'pusha', 'popa', 'pushf', 'popf', 'nop']);
const STACK_MNEMONICS = new Set([
  'push', 'pop', 'pushf', 'popf', 'pusha', 'popa', 'pushad', 'popad', 'pushfd', 'popfd', 'pushfq', 'popfq',
  'call', 'jmp', 'ret', 'retf', 'iret', 'iretd', 'iretq', 'enter', 'leave', 'lret', 'lcall', 'ljmp',
]);

/** Register name by number and size: 0–15 general registers, 16–19 AH..BH for bytes. */
export function regName(n: number, size: number): string {
  if (size === 8) {
    if (n >= 16) return '%' + HI8[n - 16];
    return '%' + (n < 8 ? REX8[n] : `r${n}b`);
  }
  if (n < 8) return '%' + (size === 16 ? GPR16 : size === 32 ? GPR32 : GPR64)[n];
  return '%' + (size === 16 ? `r${n}w` : size === 32 ? `r${n}d` : `r${n}`);
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}

/** Signed displacement as objdump prints it: -0x10, 0x10. */
function signedHex(v: bigint): string {
  return v < 0n ? '-' + hex(-v) : hex(v);
}

function pair(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Legacy prefixes present in the bytes (before REX/opcode). */
function scanPrefixes(bytes: ArrayLike<number> | undefined, mode: number): { osp: boolean; asp: boolean; seg: number; osps: number } {
  const r = { osp: false, asp: false, seg: -1, osps: 0 };
  if (!bytes) return r;
  for (let k = 0; k < bytes.length && k < 15; k++) {
    const b = bytes[k];
    if (b === 0x66) { r.osp = true; r.osps++; }
    else if (b === 0x67) r.asp = true;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) r.seg = (b >> 3) & 3;
    else if (b === 0x64 || b === 0x65) r.seg = b - 0x60;
    else if (b === 0xf0 || b === 0xf2 || b === 0xf3) continue;
    else if (mode === 64 && (b & 0xf0) === 0x40) continue;
    else break;
  }
  return r;
}

/** Formats `insn` (decoded in opts.mode) as objdump's AT&T text, without the address and bytes. */
export function formatAtt(insn: Insn, form: Form = insn.form, opts: AttOptions = { mode: 64 }): string {
  const mode = opts.mode;
  const px = scanPrefixes(opts.bytes, mode);
  const segOv = insn.segOverride;
  const defAddr = mode === 64 ? 64 : mode;
  const asp = opts.bytes ? px.asp : insn.addrSize !== defAddr;
  const prefixes: string[] = [];
  let segUsed = false, aspUsed = false, ospUsed = false;

  let mnemonicBase = form.plusCC && form.mnemonic.endsWith('cc')
    ? form.mnemonic.slice(0, -2) + CC_NAMES[insn.cc]
    : form.mnemonic;
  if (mnemonicBase === 'sal') mnemonicBase = 'shl'; // the same instruction; objdump names it shl
  if (opts.wait && form.wait) mnemonicBase = form.wait;
  // IRETD/IRETQ, PUSHFQ…: the size comes from the suffix rule below, as objdump prints it.
  const sized0 = /^(iret|pushf|popf|pusha|popa)[dwq]$/.exec(mnemonicBase);
  if (sized0) mnemonicBase = sized0[1];
  // A gas= name that is only a base plus a size suffix follows objdump's suffix rules below.
  let gas = form.gas;
  if (gas && /[bwlq]$/.test(gas) && (gas.slice(0, -1) === mnemonicBase || ATT_BASES.has(gas.slice(0, -1)))) {
    mnemonicBase = gas.slice(0, -1);
    gas = null;
  }
  const ops = form.operands;
  const isMem = (o: Operand) => o.loc === Loc.Mem || o.loc === Loc.MemFar || ((o.loc === Loc.Rm || o.loc === Loc.XmmRm) && insn.mod !== 3);

  // String instructions: objdump spells out the implicit operands (SDM Vol.2 MOVS/CMPS/...).
  const sm = STRING_OP.exec(mnemonicBase);
  if (sm && !ops.some((o) => o.loc === Loc.Rm || o.loc === Loc.Reg || o.loc === Loc.Imm)) {
    // 67h here selects SI/ESI/RSI, visible in the operands, so it is never printed by name.
    const size = form.opSize === 8 ? 8 : ({ b: 8, w: 16, d: 32, q: 64 } as Record<string, number>)[sm[2]] ?? insn.opSize;
    const ar = insn.addrSize === 16 ? ['%si', '%di'] : insn.addrSize === 32 ? ['%esi', '%edi'] : ['%rsi', '%rdi'];
    // In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol.1 §3.3.7.1) and objdump drops them.
    const srcSeg = segOv >= 0 && !(mode === 64 && segOv < 4) ? segOv : 3;
    const src = `%${SREG_NAMES[srcSeg]}:(${ar[0]})`;
    const dst = `%es:(${ar[1]})`;
    segUsed = /^(movs|cmps|lods|outs)$/.test(sm[1]); // only the DS:rSI operand takes an override
    if (segOv >= 0 && !segUsed) prefixes.push(SREG_NAMES[segOv]);
    const acc = regName(0, size);
    const base = sm[1];
    let text: string;
    const sfx = SUFFIX[size];
    switch (base) {
      case 'movs': text = `movs${sfx} ${src},${dst}`; break;
      case 'cmps': text = `cmps${sfx} ${dst},${src}`; break;
      case 'stos': text = `stos ${acc},${dst}`; break;
      case 'lods': text = `lods ${src},${acc}`; break;
      case 'scas': text = `scas ${dst},${acc}`; break;
      case 'ins': text = `ins${sfx} (%dx),${dst}`; break;
      default: text = `outs${sfx} ${src},(%dx)`; break;
    }
    if (insn.rep) prefixes.push(insn.rep === 0xf2 ? 'repnz' : form.repcc ? 'repz' : 'rep');
    // REX.W overrides 66h (SDM Vol.2 §2.2.1.2): objdump names the unused 66h.
    if (px.osp && insn.rex & 8) prefixes.unshift('data16');
    // INS/OUTS have no 64-bit form and R/X/B select nothing here: objdump names such a REX.
    prefixes.push(...stringRex(insn, base));
    return finish(prefixes, text);
  }

  if (/^(j[er]?cxz|loop)/.test(mnemonicBase)) aspUsed = true; // 67h selects CX/ECX/RCX
  const memOperand = ops.some(isMem) || ops.some((o) => o.loc === Loc.Moffs);
  const out: string[] = [];
  let sized = false; // a register operand tells the operand size
  let memSize = 0;
  const mnem0 = gas ?? mnemonicBase;
  const indirect = (mnem0 === 'jmp' || mnem0 === 'call' || mnem0 === 'ljmp' || mnem0 === 'lcall') ||
    ((mnemonicBase === 'jmp' || mnemonicBase === 'call') && ops.some((o) => o.loc === Loc.MemFar));

  const immText = (o: Operand, first: boolean): string => {
    const v = first ? pair(insn.immLo, insn.immHi) : BigInt(insn.imm2 >>> 0);
    let bits = o.size;
    // Sign-extended immediates (SDM: imm8 of 83/6B/6A, imm32 with a 64-bit operand) print at operand size.
    const signExt = o.size === 8 && form.map === 0 && (form.opcode === 0x83 || form.opcode === 0x6b || form.opcode === 0x6a) ||
      o.size === 32 && insn.opSize === 64;
    if (signExt) bits = insn.opSize;
    return '$' + hex(BigInt.asUintN(bits, v));
  };

  // CET: 3E on an indirect near branch is NOTRACK, not a segment (SDM Vol.1 §18.3.8).
  const notrack = indirect && segOv === 3 && ops.some((o) => o.loc === Loc.Rm) && !ops.some((o) => o.loc === Loc.MemFar) && !/^l(jmp|call)/.test(mnem0);
  if (notrack) { prefixes.push('notrack'); segUsed = true; }
  const memText = (o: Operand): string => {
    const seg = notrack ? '' : segOv >= 0 && !(mode === 64 && segOv < 4) ? `%${SREG_NAMES[segOv]}:` : '';
    if (seg) segUsed = true;
    if (o.loc === Loc.Moffs) {
      aspUsed = !asp;
      return seg + hex(BigInt.asUintN(insn.addrSize, pair(insn.dispLo, insn.dispHi)));
    }
    const disp = pair(insn.dispLo, insn.dispHi);
    if (insn.addrSize === 16) {
      aspUsed = true;
      const regs = [insn.base >= 0 ? regName(insn.base, 16) : '', insn.index >= 0 ? regName(insn.index, 16) : ''].filter(Boolean);
      if (regs.length === 0) return seg + hex(BigInt.asUintN(16, disp));
      const d = insn.mod === 0 ? '' : signedHex(BigInt.asIntN(16, disp));
      return `${seg}${d}(${regs.join(',')})`;
    }
    const asz = insn.addrSize;
    if (mode === 64 && insn.ea === EaKind.Abs && insn.mod === 0 && (insn.rm & 7) === 5) {
      // RIP-relative (SDM Vol.2 §2.2.1.6): the decoder resolved it; objdump shows the displacement.
      aspUsed = true;
      const next = pair(insn.nextLo, insn.nextHi);
      const d = BigInt.asIntN(32, disp - next);
      return `${seg}${signedHex(d)}(${asz === 32 ? '%eip' : '%rip'})`;
    }
    const sib = (insn.rm & 7) === 4;
    if (insn.base < 0 && insn.index < 0) {
      // Absolute [disp32]; through a SIB byte objdump shows the empty index as %eiz in 32-bit code.
      const a = hex(BigInt.asUintN(asz, BigInt.asIntN(32, disp)));
      // With the empty index shown, the displacement prints signed, as any base+disp does.
      const sd = signedHex(BigInt.asIntN(32, disp));
      if (sib && mode === 32 && !asp) { aspUsed = true; return `${seg}${sd}(,%eiz,${1 << insn.scale})`; }
      if (sib && mode === 64 && asp) { aspUsed = true; return `${seg}${sd}(,%eiz,${1 << insn.scale})`; }
      if (sib && mode === 64 && insn.scale !== 0) { aspUsed = true; return `${seg}${sd}(,%riz,${1 << insn.scale})`; }
      aspUsed = !asp;
      return seg + a;
    }
    aspUsed = true;
    const d = insn.mod === 0 && insn.base >= 0 ? '' : signedHex(BigInt.asIntN(32, disp));
    let s = `${seg}${d}(`;
    if (insn.base >= 0) s += regName(insn.base, asz);
    if (insn.index >= 0) s += `,${regName(insn.index, asz)},${1 << insn.scale}`;
    else if (sib && ((insn.base & 7) !== 4 || insn.scale !== 0 || insn.base < 0)) s += `,${asz === 64 ? '%riz' : '%eiz'},${1 << insn.scale}`;
    return s + ')';
  };

  let immIndex = 0;
  for (const o of ops) {
    let t: string;
    switch (o.loc) {
      case Loc.Rm:
        if (insn.mod === 3) {
          // objdump names MOVSXD's source by its 32-bit register even with a 16-bit destination.
          t = regName(insn.rm, mnemonicBase === 'movsxd' ? Math.max(o.regSize, 32) : o.regSize);
          sized = true;
        } else { t = memText(o); memSize = o.size; }
        break;
      case Loc.Mem:
      case Loc.MemFar:
        t = memText(o);
        memSize = 0; // m8, m64, m16&32…: the mnemonic says what it is (prefetcht0, cmpxchg8b, lgdt)
        break;
      case Loc.Reg: t = regName(insn.reg, o.size); sized = true; break;
      case Loc.RmReg: t = regName(insn.rm, o.size); sized = true; break;
      case Loc.OpReg: t = regName(insn.rm, o.size); sized = true; break;
      case Loc.Vvvv: t = regName(insn.vvvv, o.size); sized = true; break;
      case Loc.FixedReg:
        if (o.size === 16 && o.fixed === 2 && /^(in|out)/.test(mnemonicBase)) { t = '(%dx)'; break; }
        t = regName(o.size === 8 && o.fixed >= 4 ? 12 + o.fixed : o.fixed, o.size);
        if (!(o.size === 8 && o.fixed === 1 && ops.length > 1)) sized = true; // CL as a count sizes nothing
        break;
      case Loc.Imm: t = immText(o, immIndex++ === 0); break;
      case Loc.Rel: t = hex(pair(insn.targetLo, insn.targetHi)); break;
      case Loc.Moffs: t = memText(o); sized = sized || false; break;
      case Loc.Ptr: t = `$${hex(BigInt(insn.imm2 & 0xffff))},$${hex(BigInt(insn.immLo >>> 0))}`; break;
      case Loc.One: t = ''; break; // objdump omits the 1 of the shift group
      case Loc.Sreg: t = '%' + (SREG_NAMES[insn.reg & 7] ?? '?'); sized = true; break; // 6, 7: no register (#UD)
      case Loc.FixedSreg: t = '%' + SREG_NAMES[o.fixed]; break;
      case Loc.Cr: t = `%cr${insn.reg}`; sized = true; break;
      case Loc.Dr: t = `%db${insn.reg}`; sized = true; break;
      case Loc.St: t = `%st(${insn.rm & 7})`; break;
      case Loc.St0: t = '%st'; break;
      // SSE: the XMM operand names the size, as the mnemonic does for memory (movd, movq, movaps).
      case Loc.Xmm: t = `%xmm${insn.reg}`; sized = true; break;
      case Loc.XmmRm: t = insn.mod === 3 ? `%xmm${insn.rm}` : memText(o); sized = true; break;
      default: t = '?';
    }
    if (indirect && (o.loc === Loc.Rm || o.loc === Loc.MemFar || o.loc === Loc.Mem)) t = '*' + t;
    if (t) out.push(t);
  }
  // AT&T order is the reverse of Intel's, except ENTER's two immediates, BOUND (GAS keeps Intel order) and a far pointer.
  let operands = mnemonicBase === 'enter' || mnemonicBase === 'bound' ? out : out.reverse();
  // XCHG with an opcode register: objdump puts the accumulator first.
  if (mnemonicBase === 'xchg' && ops.some((o) => o.loc === Loc.OpReg)) {
    const acc = ops.findIndex((o) => o.loc === Loc.FixedReg);
    const reg = ops.findIndex((o) => o.loc === Loc.OpReg);
    operands = [out[out.length - 1 - acc], out[out.length - 1 - reg]].filter((x) => x !== undefined);
    if (acc < 0 || reg < 0) operands = out;
  }
  if (mnemonicBase === 'xlat' || mnemonicBase === 'xlatb') {
    const rb = insn.addrSize === 16 ? '%bx' : insn.addrSize === 32 ? '%ebx' : '%rbx';
    operands = [`%${SREG_NAMES[segOv >= 0 ? segOv : 3]}:(${rb})`];
    segUsed = true;
    aspUsed = true;
  }

  // 2E/3E on a conditional branch are the branch-not-taken/taken hints (SDM Vol.2 §2.1.1).
  if (form.plusCC && mnemonicBase.startsWith('j') && ops.some((o) => o.loc === Loc.Rel) && (segOv === 1 || segOv === 3)) {
    mnemonicBase += segOv === 1 ? ',pn' : ',pt';
    segUsed = true;
  }
  // Mnemonic: form.gas, else Intel mnemonic plus a suffix where no register operand gives the size.
  let mnem: string;
  const stackLike = STACK_MNEMONICS.has(mnemonicBase) || form.d64 || form.f64 || (mnemonicBase.startsWith('pushf') || mnemonicBase.startsWith('popf'));
  if (gas) {
    mnem = gas;
  } else if ((mnemonicBase === 'mov') && (form.imms.includes('io') || ops.some((o) => o.loc === Loc.Moffs) && insn.addrSize === 64)) {
    mnem = 'movabs';
  } else if (stackLike) {
    const def = mode === 64 && (form.d64 || form.f64 || /^(push|pop)/.test(mnemonicBase)) ? 64 : mode === 64 ? 32 : mode;
    const opSize = insn.opSize;
    mnem = mnemonicBase;
    // objdump ignores REX.W on far indirect branches (it prints rex.W, below).
    const farW = opSize === 64 && ops.some((o) => o.loc === Loc.MemFar);
    if (!sized && opSize !== def && opSize !== 8 && !farW) mnem += SUFFIX[opSize] ?? '';
    ospUsed = true;
  } else {
    mnem = mnemonicBase;
    if (!sized && memOperand && memSize > 0 && !(form.plusCC && mnemonicBase.startsWith('set')) && !ops.some((o) => o.loc === Loc.Moffs)) mnem += SUFFIX[memSize] ?? '';
    // LGDT/LIDT/SGDT/SIDT outside 64-bit mode: objdump names the operand size (24- or 32-bit base).
    if (mode !== 64 && /^[ls][gi]dt$/.test(mnemonicBase)) { mnem += SUFFIX[insn.opSize] ?? ''; ospUsed = true; }
  }

  // x87 memory formats show as GAS's suffixes (flds, fildll); the image size of FNSTENV & co. as s or l
  // when it is not the code size's (66h; SDM Vol.1 §8.1.10).
  if (memOperand && ops.some((o) => o.x87 !== '')) mnem += x87Suffixes(form)[0];
  if (isEnvForm(form)) {
    if (mode !== 16 && insn.opSize === 16) mnem += 's';
    else if (mode === 16 && insn.opSize === 32) mnem += 'l';
    ospUsed = true;
  }
  // SYSRET/SYSEXIT return to 32- or (REX.W) 64-bit code; in 64-bit mode objdump names which.
  const sysReturn = mode === 64 && (mnemonicBase === 'sysret' || mnemonicBase === 'sysexit');
  if (sysReturn) mnem += insn.rex & 8 ? 'q' : 'l';

  // Prefixes objdump prints by name.
  if (insn.lock) prefixes.push('lock');
  if (segOv >= 0 && !segUsed) prefixes.push(SREG_NAMES[segOv]);
  if (asp && !aspUsed && !memOperand) prefixes.push(insn.addrSize === 16 ? 'addr16' : 'addr32');
  else if (asp && !aspUsed) prefixes.push(insn.addrSize === 16 ? 'addr16' : 'addr32');
  // REX.W overrides 66h (SDM Vol.2 §2.2.1.2) and a repeated 66h counts once: objdump names the unused ones.
  const unused66 = px.osps - 1 + (px.osp && mode === 64 && insn.rex & 8 && form.prefix !== 0x66 ? 1 : 0);
  for (let k = 0; k < unused66; k++) prefixes.unshift('data16');
  if (unused66 > 0) { /* named above */ } else if (px.osp && !ospUsed && form.prefix !== 0x66 &&
    (insn.opSize === 8 || form.opSize === 0 || ops.some((o) => o.loc === Loc.Sreg) && memOperand)) {
    prefixes.push(mode === 16 ? 'data32' : 'data16');
  }
  if (insn.rep && !form.rep && !form.repcc) prefixes.push(insn.rep === 0xf2 ? 'repnz' : 'repz');
  else if (insn.rep) prefixes.push(insn.rep === 0xf2 ? 'repnz' : form.repcc ? 'repz' : 'rep');
  // REX comes right before the opcode, after every legacy prefix.
  if (insn.rex && !(sysReturn && (insn.rex & 15) === 8) && !rexUsed(insn, form, ops)) {
    const bits = ['W', 'R', 'X', 'B'].filter((_, k) => insn.rex & (8 >> k)).join('');
    prefixes.push(bits ? `rex.${bits}` : 'rex');
  }
  return finish(prefixes, operands.length ? `${mnem} ${operands.join(',')}` : mnem);
}

/** Whether every bit of the REX prefix changes the instruction, as objdump judges it. */
function rexUsed(insn: Insn, form: Form, ops: readonly Operand[]): boolean {
  const rex = insn.rex;
  const enc = form.row.split('|')[1] ?? '';
  const memSib = insn.mod !== 3 && insn.addrSize !== 16 && (insn.rm & 7) === 4 &&
    ops.some((o) => o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar || o.loc === Loc.XmmRm);
  // objdump takes W as meaningless for far indirect branches (not LSS/LFS/LGS) and for segment-register moves to memory.
  if (rex & 8 && (!/REX\.W|\bo64\b/.test(enc) || form.branch && ops.some((o) => o.loc === Loc.MemFar) ||
    insn.mod !== 3 && ops.some((o) => o.loc === Loc.Sreg) ||
    // Port I/O ignores W: the operand stays EAX / a doubleword (IN, OUT, INSD, OUTSD).
    ops.some((o) => o.loc === Loc.FixedReg && o.size === 32) || /^(ins|outs)d$/.test(form.mnemonic))) return false;
  if (rex & 4 && !ops.some((o) => o.loc === Loc.Reg || o.loc === Loc.Cr || o.loc === Loc.Dr || o.loc === Loc.Xmm)) return false;
  if (rex & 2 && !memSib) return false;
  if (rex & 1 && !ops.some((o) => o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar || o.loc === Loc.RmReg || o.loc === Loc.OpReg || o.loc === Loc.XmmRm)) return false;
  if ((rex & 15) === 0) {
    // A bare REX matters only by renaming AH..BH to SPL..DIL.
    const n = (o: Operand) => o.loc === Loc.Reg ? insn.reg : o.loc === Loc.OpReg || o.loc === Loc.Rm && insn.mod === 3 ? insn.rm : -1;
    return ops.some((o) => o.size === 8 && n(o) >= 4 && n(o) < 8 || o.loc === Loc.Rm && o.regSize === 8 && insn.mod === 3 && insn.rm >= 4 && insn.rm < 8);
  }
  return true;
}

/**
 * The REX word objdump prints on a string instruction: R, X and B select nothing there, nor does W on
 * INS/OUTS (no 64-bit form); when any bit is unused the whole prefix is named.
 */
export function stringRex(insn: Insn, base: string): string[] {
  const rex = insn.rex;
  if (!rex) return [];
  const unused = (rex & 7) !== 0 || (rex & 15) === 0 || (rex & 8 && (base === 'ins' || base === 'outs'));
  if (!unused) return [];
  const bits = ['W', 'R', 'X', 'B'].filter((_, k) => rex & (8 >> k)).join('');
  return [bits ? `rex.${bits}` : 'rex'];
}

function finish(prefixes: string[], text: string): string {
  return prefixes.length ? `${prefixes.join(' ')} ${text}` : text;
}
