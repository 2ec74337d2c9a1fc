// test/asm/corpus.ts: instruction lines generated from the rows of the instruction table (read in reverse,
// like the assembler), with varied registers, addressing forms and immediates per code size.
import { Form, Loc, Operand } from '../../emulator/isa/form';
import { FORMS } from '../../emulator/isa/table';
import { aluForms } from '../../emulator/isa/forms/alu';
import { moveForms } from '../../emulator/isa/forms/move';
import { bitForms } from '../../emulator/isa/forms/bit';
import { stackForms } from '../../emulator/isa/forms/stack';
import { branchForms } from '../../emulator/isa/forms/branch';
import { stringForms } from '../../emulator/isa/forms/string';
import { miscForms } from '../../emulator/isa/forms/misc';
import { systemForms } from '../../emulator/isa/forms/system';
import { x87Forms } from '../../emulator/isa/forms/x87';
import { sseForms } from '../../emulator/isa/forms/sse';
import { isAliasRow, isEnvForm, x87Suffixes } from '../../assembler/mnemonics';
import { validInMode } from '../../assembler/select';

export type Mode = 16 | 32 | 64;

export const GROUPS: Record<string, readonly string[]> = {
  alu: aluForms, move: moveForms, bit: bitForms, stack: stackForms, branch: branchForms, string: stringForms,
  misc: miscForms, system: systemForms, x87: x87Forms, sse: sseForms,
};

const REGS: Record<number, Record<Mode, string[]>> = {
  8: { 16: ['%al', '%bl', '%ch', '%dh'], 32: ['%cl', '%dl', '%ah', '%bh'], 64: ['%al', '%sil', '%r9b', '%r15b'] },
  16: { 16: ['%ax', '%bx', '%si', '%bp'], 32: ['%cx', '%dx', '%di', '%sp'], 64: ['%ax', '%r8w', '%di', '%r13w'] },
  32: { 16: ['%eax', '%ebx', '%esi', '%edi'], 32: ['%ecx', '%edx', '%ebp', '%esp'], 64: ['%eax', '%r10d', '%esi', '%r12d'] },
  64: { 16: [], 32: [], 64: ['%rax', '%rbx', '%r9', '%r14'] },
};
const MEMS: Record<Mode, string[]> = {
  16: ['(%bx)', '8(%bp)', '0x1234(%bx,%si)', '-2(%di)', '0x7c00', '(%bp,%di)', '%es:4(%si)', '(%eax)', '0x100(%ebx,%ecx,4)'],
  32: ['(%ebx)', '8(%esi)', '0x1234(%ebp,%ecx,4)', '-4(%esp)', '0x1000', '(%ebp)', '%fs:(%eax,%eax,2)', '(,%edx,8)', '0x80(%eax)'],
  64: ['(%rax)', '(%r12)', '-8(%rbp,%r9,8)', '0x10(%rip)', '(%r13)', '0x1000', '%gs:0x28', '(%rsp)', '0x12345(%rdx,%r15)', '(%eax)'],
};
const XMMS: Record<Mode, string[]> = { 16: ['%xmm0', '%xmm3', '%xmm7'], 32: ['%xmm1', '%xmm5', '%xmm6'], 64: ['%xmm0', '%xmm9', '%xmm15', '%xmm4'] };
const IMM: Record<number, string[]> = { 8: ['$0x12', '$-5', '$0x7f'], 16: ['$0x1234', '$-2', '$300'], 32: ['$0x12345678', '$-2', '$300'], 64: ['$0x12345678', '$-2'] };

function immSize(f: Form, k: number): number {
  const t = f.imms.filter((x) => x !== 'moffs')[k];
  return t === 'ib' ? 8 : t === 'iw' ? 16 : t === 'io' ? 64 : 32;
}

/** Text for one operand, variant v. null: this operand has no AT&T spelling to generate. */
function operandText(f: Form, o: Operand, mode: Mode, v: number, immK: number): string | null {
  const pick = <T>(xs: T[]) => xs[v % xs.length];
  switch (o.loc) {
    case Loc.Rm: return v % 2 === 0 && REGS[o.regSize][mode].length ? pick(REGS[o.regSize][mode]) : pick(MEMS[mode]);
    case Loc.Mem: return pick(MEMS[mode]);
    case Loc.MemFar: return pick(MEMS[mode]);
    case Loc.Reg: case Loc.OpReg: case Loc.RmReg: case Loc.Vvvv: return REGS[o.size][mode].length ? pick(REGS[o.size][mode]) : null;
    case Loc.Imm: {
      const size = immSize(f, immK);
      const vals = f.mnemonic === 'enter' || /^(in|out|int|ret|retf)$/.test(f.mnemonic) ? ['$0x10', '$0x80', '$0xff'] : IMM[size];
      return pick(vals);
    }
    case Loc.One: return v % 2 ? '$1' : '';
    case Loc.FixedReg:
      if (o.size === 16 && o.fixed === 2 && /^(in|out)$/.test(f.mnemonic)) return '(%dx)';
      return '%' + o.text.toLowerCase();
    case Loc.FixedSreg: return '%' + o.text.toLowerCase();
    case Loc.Sreg: return pick(['%es', '%ss', '%ds', '%fs', '%gs']);
    case Loc.Moffs: return pick(['0x1000', '0x12']);
    case Loc.St: return pick(['%st(1)', '%st(0)', '%st(7)', '%st(3)', '%st']);
    case Loc.St0: return '%st';
    case Loc.Xmm: return pick(XMMS[mode]);
    case Loc.XmmRm: return v % 2 === 0 ? pick(XMMS[mode]) : pick(MEMS[mode]);
    default: return null;
  }
}

const STRING = /^(movs|stos|lods|scas|cmps|ins|outs)[bwdq]$/;
const SUFFIX: Record<number, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };

/** AT&T lines for a form in a mode (several operand variants), or [] when it is not generated. */
export function linesFor(f: Form, mode: Mode, variants = 6): string[] {
  if (isAliasRow(f) || !validInMode(f, mode)) return [];
  if (f.operands.some((o) => o.loc === Loc.Rel || o.loc === Loc.Ptr || o.loc === Loc.Moffs)) return [];
  if (f.addrSize) return [];
  const out = new Set<string>();
  for (let v = 0; v < variants; v++) {
    let immK = 0;
    const texts: string[] = [];
    let ok = true;
    for (const o of f.operands) {
      const t = operandText(f, o, mode, v + (texts.length * 7), o.loc === Loc.Imm ? immK++ : immK);
      if (t === null) { ok = false; break; }
      texts.push(t);
    }
    if (!ok) continue;
    const indirect = (f.mnemonic === 'jmp' || f.mnemonic === 'call') && f.operands.some((o) => o.loc === Loc.Rm || o.loc === Loc.MemFar);
    let ops = (f.mnemonic === 'enter' || f.mnemonic === 'bound' ? texts : [...texts].reverse()).filter((t) => t !== '');
    if (indirect) ops = ops.map((t) => '*' + t);
    const regSized = f.operands.some((o, k) => (o.loc === Loc.Xmm || o.loc === Loc.XmmRm || o.loc === Loc.Reg || o.loc === Loc.OpReg || o.loc === Loc.Vvvv || o.loc === Loc.RmReg ||
      o.loc === Loc.Rm && texts[k].startsWith('%') || o.loc === Loc.FixedReg && !(o.size === 8 && o.fixed === 1) && !texts[k].startsWith('(')));
    let mnem = f.plusCC ? f.mnemonic.slice(0, -2) + ['o', 'ne', 'b', 'ae', 'e', 'be', 'a', 's', 'l', 'g'][(v * 3 + f.id) % 10] : f.gas ?? f.mnemonic;
    if (!f.gas && f.opSize >= 8 && !regSized && !STRING.test(mnem) && !(f.plusCC && mnem.startsWith('set'))) mnem += SUFFIX[f.opSize];
    if (f.mnemonic === 'shl' && v === 2) mnem = 'sal' + mnem.slice(3);
    // x87 memory formats take GAS's suffixes (flds, fildll or fildq); the waiting forms and the image sizes
    // of FNSTENV & co. are further names for the same row (fstenv, fnstenvs, fstenvl).
    const x87 = x87Suffixes(f);
    const names = [x87.length ? mnem + x87[v % x87.length] : mnem];
    if (f.wait) names.push(f.wait);
    if (isEnvForm(f)) for (const n of [f.mnemonic, f.wait]) if (n) names.push(n + 's', n + 'l');
    for (const n of names) out.add(ops.length ? `${n} ${ops.join(',')}` : n);
  }
  return [...out];
}

/** Lines of one group for a mode. */
export function groupLines(group: string, mode: Mode): string[] {
  const rows = new Set(GROUPS[group]);
  return FORMS.filter((f) => rows.has(f.row)).flatMap((f) => linesFor(f, mode));
}
