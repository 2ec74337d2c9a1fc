// disasm/intel.ts: formats a decoded instruction as Intel-syntax text the way GNU objdump -d -M intel
// prints it: Intel operand order, `DWORD PTR fs:[rax+rcx*4+0x10]`, `[rip+0x10]`, `ds:0x10` absolutes.
// The prefix words (lock, rep, data16, rex.W …) follow the same rules as the AT&T text, so they are taken
// from formatAtt; the mnemonic and operands are built here.
import { CC_NAMES, Form, Loc, Operand, SREG_NAMES } from '../../emulator/isa/form';
import { EaKind, Insn } from '../../emulator/cpu/insn';
import { formatAtt, regName, stringRex } from './att';
import { isEnvForm } from '../mnemonics';

export interface IntelOptions {
  mode: 16 | 32 | 64;
  bytes?: ArrayLike<number>;
  /** A WAIT (9B) came first: the waiting name (finit), as in AttOptions. */
  wait?: boolean;
}

const PTR: Record<number, string> = { 8: 'BYTE', 16: 'WORD', 32: 'DWORD', 64: 'QWORD', 80: 'TBYTE', 128: 'XMMWORD', 256: 'YMMWORD' };
const STRING_OP = /^(movs|cmps|stos|lods|scas|ins|outs)([bwdq]?)$/;
/** Words objdump prints before the mnemonic. */
const PREFIX_WORD = /^(rex(\.W?R?X?B?)?|data16|data32|addr16|addr32|cs|ds|es|ss|fs|gs|lock|rep|repz|repnz|notrack|bnd)$/;

function reg(n: number, size: number): string {
  return regName(n, size).slice(1);
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}

function pair(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** [prefix words and mnemonic, operands] as objdump -M intel prints them. */
export function formatIntel(insn: Insn, form: Form = insn.form, opts: IntelOptions = { mode: 64 }): [string, string] {
  const mode = opts.mode;
  const att = formatAtt(insn, form, { mode, bytes: opts.bytes, wait: opts.wait });
  const words = att.split(' ');
  const prefixes: string[] = [];
  while (words.length > 1 && PREFIX_WORD.test(words[0])) prefixes.push(words.shift()!);
  const attMnem = words[0];
  const segOv = insn.segOverride;

  let mnem = form.plusCC && form.mnemonic.endsWith('cc') ? form.mnemonic.slice(0, -2) + CC_NAMES[insn.cc] : form.mnemonic;
  if (mnem === 'sal') mnem = 'shl';
  if (opts.wait && form.wait) mnem = form.wait;
  // FNSTENV & co. with the other image size: objdump -M intel says w (16-bit image) or d (32-bit).
  if (isEnvForm(form) && (mode === 16) !== (insn.opSize === 16)) mnem += insn.opSize === 16 ? 'w' : 'd';
  if (attMnem === 'movabs') mnem = 'movabs';
  if (/,p[nt]$/.test(attMnem)) mnem += attMnem.slice(-3);
  // Far branches: objdump keeps the AT&T spellings ljmp/lcall only for the direct forms' sizes; Intel says jmp/call.
  const ops = form.operands;
  const isMem = (o: Operand) => o.loc === Loc.Mem || o.loc === Loc.MemFar || ((o.loc === Loc.Rm || o.loc === Loc.XmmRm) && insn.mod !== 3);
  const defAddr = mode === 64 ? 64 : mode;
  const addrRegs = insn.addrSize === 16 ? ['si', 'di', 'bx'] : insn.addrSize === 32 ? ['esi', 'edi', 'ebx'] : ['rsi', 'rdi', 'rbx'];
  void defAddr;

  const memSizeName = (o: Operand): string => {
    // m16:16 / m16:32; objdump ignores REX.W here (m16:64 still reads FWORD).
    if (o.loc === Loc.MemFar) return insn.opSize === 16 ? 'DWORD PTR ' : 'FWORD PTR ';
    if (mnem === 'invlpg') return 'BYTE PTR ';
    if (mnem === 'cmpxchg16b') return 'OWORD PTR ';
    if (mnem === 'movsxd') return `${PTR[Math.max(o.size, 32)]} PTR `;
    if (mnem === 'bound') return `${PTR[insn.opSize * 2]} PTR `; // m16&16 / m32&32: both bounds
    if (o.loc === Loc.Mem && !/^m(8|16|32|64)$/.test(o.text) && o.x87 === '') return '';
    if (mnem === 'lea') return '';
    const size = o.size || insn.opSize;
    return PTR[size] ? `${PTR[size]} PTR ` : '';
  };

  const segText = (forceDs: boolean): string => {
    if (segOv >= 0 && !(mode === 64 && segOv < 4 && !forceDs)) return SREG_NAMES[segOv] + ':';
    return forceDs ? (segOv >= 0 ? SREG_NAMES[segOv] : 'ds') + ':' : '';
  };

  const memText = (o: Operand): string => {
    const size = memSizeName(o);
    if (o.loc === Loc.Moffs) return `${segText(true)}${hex(BigInt.asUintN(insn.addrSize, pair(insn.dispLo, insn.dispHi)))}`;
    const disp = pair(insn.dispLo, insn.dispHi);
    const seg = segOv >= 0 && !(mode === 64 && segOv < 4) ? SREG_NAMES[segOv] + ':' : '';
    if (insn.addrSize === 16) {
      const regs = [insn.base >= 0 ? reg(insn.base, 16) : '', insn.index >= 0 ? reg(insn.index, 16) : ''].filter(Boolean);
      if (regs.length === 0) return `${size}${seg || 'ds:'}${hex(BigInt.asUintN(16, disp))}`;
      const d = insn.mod === 0 ? 0n : BigInt.asIntN(16, disp);
      return `${size}${seg}[${regs.join('+')}${d < 0n ? '-' + hex(-d) : d > 0n || insn.mod !== 0 ? '+' + hex(d) : ''}]`;
    }
    const asz = insn.addrSize;
    if (mode === 64 && insn.ea === EaKind.Abs && insn.mod === 0 && (insn.rm & 7) === 5) {
      const d = BigInt.asIntN(32, disp - pair(insn.nextLo, insn.nextHi));
      return `${size}${seg}[${asz === 32 ? 'eip' : 'rip'}${d < 0n ? '-' + hex(-d) : '+' + hex(d)}]`;
    }
    const sib = (insn.rm & 7) === 4;
    if (insn.base < 0 && insn.index < 0) {
      const a = hex(BigInt.asUintN(asz, BigInt.asIntN(32, disp)));
      const dd = BigInt.asIntN(32, disp);
      const sd = dd < 0n ? '-' + hex(-dd) : '+' + hex(dd);
      if (sib && (mode === 32 && asz === 32 || mode === 64 && asz === 32)) return `${size}${seg}[eiz*${1 << insn.scale}${sd}]`;
      if (sib && mode === 64 && insn.scale !== 0) return `${size}${seg}[riz*${1 << insn.scale}${sd}]`;
      return `${size}${seg || 'ds:'}${a}`;
    }
    let s = '';
    if (insn.base >= 0) s += reg(insn.base, asz);
    if (insn.index >= 0) s += `${s ? '+' : ''}${reg(insn.index, asz)}*${1 << insn.scale}`;
    else if (sib && ((insn.base & 7) !== 4 || insn.scale !== 0 || insn.base < 0)) s += `+${asz === 64 ? 'riz' : 'eiz'}*${1 << insn.scale}`;
    const d = insn.mod === 0 && insn.base >= 0 ? null : BigInt.asIntN(32, disp);
    if (d !== null) s += d < 0n ? '-' + hex(-d) : '+' + hex(d);
    return `${size}${seg}[${s}]`;
  };

  // String instructions: objdump spells out both implicit operands with their sizes.
  const sm = STRING_OP.exec(mnem);
  if (sm && !ops.some((o) => o.loc === Loc.Rm || o.loc === Loc.Reg || o.loc === Loc.Imm)) {
    const size = form.opSize === 8 ? 8 : ({ b: 8, w: 16, d: 32, q: 64 } as Record<string, number>)[sm[2]] ?? insn.opSize;
    const p = `${PTR[size]} PTR `;
    const srcSeg = segOv >= 0 && !(mode === 64 && segOv < 4) ? segOv : 3;
    const src = `${p}${SREG_NAMES[srcSeg]}:[${addrRegs[0]}]`;
    const dst = `${p}es:[${addrRegs[1]}]`;
    const acc = reg(0, size);
    const text: Record<string, string> = {
      movs: `${dst},${src}`, cmps: `${src},${dst}`, stos: `${dst},${acc}`, lods: `${acc},${src}`,
      scas: `${acc},${dst}`, ins: `${dst},dx`, outs: `dx,${src}`,
    };
    return [[...prefixes.filter((p) => !p.startsWith('rex')), ...stringRex(insn, sm[1]), sm[1]].join(' '), text[sm[1]]];
  }
  if (mnem === 'xlat' || mnem === 'xlatb') {
    return [[...prefixes, 'xlat'].join(' '), `BYTE PTR ${segOv >= 0 ? SREG_NAMES[segOv] : 'ds'}:[${addrRegs[2]}]`];
  }

  const out: string[] = [];
  let immIndex = 0;
  for (const o of ops) {
    let t: string;
    switch (o.loc) {
      case Loc.Rm:
        t = insn.mod === 3 ? reg(insn.rm, mnem === 'movsxd' ? Math.max(o.regSize, 32) : o.regSize) : memText(o);
        break;
      case Loc.Mem: case Loc.MemFar: case Loc.Moffs: t = memText(o); break;
      case Loc.Reg: t = reg(insn.reg, o.size); break;
      case Loc.RmReg: case Loc.OpReg: t = reg(insn.rm, o.size); break;
      case Loc.Vvvv: t = reg(insn.vvvv, o.size); break;
      case Loc.FixedReg:
        t = o.size === 8 && o.fixed >= 4 ? reg(12 + o.fixed, 8) : reg(o.fixed, o.size);
        break;
      case Loc.Imm: {
        const first = immIndex++ === 0;
        const v = first ? pair(insn.immLo, insn.immHi) : BigInt(insn.imm2 >>> 0);
        let bits = o.size;
        const signExt = o.size === 8 && form.map === 0 && (form.opcode === 0x83 || form.opcode === 0x6b || form.opcode === 0x6a) ||
          o.size === 32 && insn.opSize === 64;
        if (signExt) bits = insn.opSize;
        t = hex(BigInt.asUintN(bits, v));
        break;
      }
      case Loc.Rel: t = hex(pair(insn.targetLo, insn.targetHi)); break;
      case Loc.Ptr: t = `${hex(BigInt(insn.imm2 & 0xffff))}:${hex(BigInt(insn.immLo >>> 0))}`; break;
      case Loc.One: t = '1'; break;
      case Loc.Sreg: t = SREG_NAMES[insn.reg & 7] ?? '?'; break;
      case Loc.FixedSreg: t = SREG_NAMES[o.fixed]; break;
      case Loc.Cr: t = `cr${insn.reg}`; break;
      case Loc.Dr: t = `dr${insn.reg}`; break;
      case Loc.St: t = `st(${insn.rm & 7})`; break;
      case Loc.St0: t = 'st'; break;
      case Loc.Xmm: t = `xmm${insn.reg}`; break;
      case Loc.XmmRm: t = insn.mod === 3 ? `xmm${insn.rm}` : memText(o); break;
      default: t = '?';
    }
    out.push(t);
  }
  // Mnemonic spellings that follow the operand size rather than the row (SDM names vs objdump's).
  const far = ops.some((o) => o.loc === Loc.MemFar || o.loc === Loc.Ptr);
  if (/^(jmp|call)$/.test(mnem) && far) mnem = mnem === 'jmp' ? 'jmp' : 'call';
  if (/^(ljmp|lcall)/.test(attMnem)) mnem = attMnem.startsWith('ljmp') ? 'jmp' : 'call';
  if (/^lret/.test(attMnem)) mnem = 'retf';
  if (mnem === 'wait') mnem = 'fwait';
  // LGDT & co. outside 64-bit mode: the operand size shows as w/d (the base is 24 or 32 bits).
  const dt = /^([ls][gi]dt)([wl])$/.exec(attMnem);
  if (dt) mnem = dt[1] + (dt[2] === 'w' ? 'w' : 'd');
  const stackSuffix = /^(push|pop|call|jmp|ret|enter|leave|pushf|popf|pusha|popa|iret|lret)([wlq])$/.exec(attMnem);
  if (stackSuffix && !ops.some(isMem) && !ops.some((o) => o.loc === Loc.Reg || o.loc === Loc.OpReg || o.loc === Loc.Rm)) {
    // A size that is not the default shows as a suffix in Intel syntax too (pushw 0x1, iretw, pushfq…).
    const base = stackSuffix[1] === 'lret' ? 'retf' : stackSuffix[1];
    mnem = base + ({ w: 'w', l: 'd', q: 'q' } as Record<string, string>)[stackSuffix[2]];
  } else if (/^(iret|pushf|popf|pusha|popa)[dq]$/.test(form.mnemonic)) {
    mnem = form.mnemonic.slice(0, -1);
  }
  if (/^sys(ret|exit)[lq]$/.test(attMnem)) mnem = attMnem.slice(0, -1) + (attMnem.endsWith('q') ? 'q' : 'd');
  // XCHG with an opcode register: objdump puts the opcode register first (xchg ecx,eax).
  let operands = out;
  if (mnem === 'xchg' && ops.some((o) => o.loc === Loc.OpReg)) {
    const acc = ops.findIndex((o) => o.loc === Loc.FixedReg);
    const r = ops.findIndex((o) => o.loc === Loc.OpReg);
    if (acc >= 0 && r >= 0) operands = [out[r], out[acc]];
  }
  if (/^(in|out)$/.test(mnem)) operands = out.map((t, k) => ops[k].loc === Loc.FixedReg && ops[k].size === 16 && ops[k].fixed === 2 ? 'dx' : t);
  return [[...prefixes, mnem].join(' '), operands.filter(Boolean).join(',')];
}
