// parser.ts: reads statements (GAS manual §3.5 "Statements"): labels, `sym = expr`, directives, and
// instructions with their prefixes, and appends what they produce to the current section.
import { Form, Loc } from '../emulator/isa/form';
import { AsmError, Diagnostics } from './errors';
import { Expr, Val, evaluate, parseExpr as parseExprImpl } from './expr';
import { Encoded, encode, orderPrefixes } from './encode';
import { Cursor, Token, tokenize } from './lexer';
import { Unit } from './layout';
import { candidates, conditionOf } from './mnemonics';
import { AttOperand, parseOperands } from './operands';
import { Statement } from './preprocess';
import { Mode, SelectContext, selectForm, validInMode } from './select';
import { directive } from './directives';
import { STRING_OPS, intelMnemonic, intelString, parseIntelOperands } from './intel';

// Pseudo-prefixes GAS 2.40 takes in braces before an instruction (GAS manual §9.16.5).
const PSEUDO = new Set(['load', 'store', 'disp8', 'disp16', 'disp32', 'vex', 'vex2', 'vex3', 'rex', 'nooptimize']);

// Prefix words GAS accepts before a mnemonic (GAS manual §9.16.5 "Instruction Prefixes").
const PREFIX_WORDS: Record<string, number> = {
  lock: 0xf0, rep: 0xf3, repe: 0xf3, repz: 0xf3, repne: 0xf2, repnz: 0xf2,
  data16: -16, data32: -32, addr16: -116, addr32: -132, cs: 0x2e, ds: 0x3e, es: 0x26, fs: 0x64, gs: 0x65, ss: 0x36, rex64: 0x48,
};

export class Parser {
  /** Next instance number of each numeric local label (GAS manual §5.3 "Local Labels"). */
  private localCount = new Map<string, number>();
  stmt: Statement = { line: 0, col: 1, text: '' };
  done = false;
  /** `.intel_syntax`: Intel operand order and memory syntax; `noprefix`: registers without `%`. */
  intel = false;
  noprefix = false;

  constructor(readonly unit: Unit, readonly diags: Diagnostics, public file: string) {}

  /** Name of a numeric local label: `N:` defines instance k, `Nb` is the latest, `Nf` the next. */
  localRef = (n: bigint, dir: string, col: number): string => {
    const k = this.localCount.get(n.toString()) ?? 0;
    if (dir === 'b') {
      if (k === 0) throw new AsmError(`undefined local label '${n}b'`, col);
      return `.L${n}\u0002${k}`;
    }
    return `.L${n}\u0002${k + 1}`;
  };

  /** Parse-time value of an expression when it is an absolute constant (GAS decides encodings then). */
  constant = (e: Expr): bigint | null => {
    try {
      const v = evaluate(e, this.unit.parseEnv());
      return v && v.base === null ? v.v : null;
    } catch (_) {
      return null;
    }
  };

  parseVal(e: Expr): Val | null {
    try {
      return evaluate(e, this.unit.parseEnv());
    } catch (_) {
      return null;
    }
  }

  statement(st: Statement): void {
    this.stmt = st;
    const toks = tokenize(st.text, st.col);
    const c = new Cursor(toks, st.col + st.text.length);
    // Labels: `name:` and `N:`, any number of them before the statement proper.
    for (;;) {
      const t = c.peek();
      if (t && (t.kind === 'ident' || t.kind === 'num' && /^[0-9]+$/.test(t.text)) && c.isPunct(':', 1)) {
        c.next(); c.next();
        this.defineLabel(t);
        continue;
      }
      break;
    }
    if (c.atEnd()) return;
    const first = c.next();
    if (first.kind === 'ident' && c.isPunct('=')) {
      c.next();
      this.assign(first.text, c, first.col, false);
      return;
    }
    if (first.kind === 'ident' && first.text.startsWith('.') && first.text !== '.') {
      directive(this, first.text.toLowerCase(), c, first);
      return;
    }
    let instr = first;
    const pseudo = new Set<string>();
    while (instr.kind === 'punct' && instr.text === '{') {
      // Pseudo-prefixes (GAS manual §9.16.5): {load} {store} {disp8} {disp32} {disp16} {vex} {vex2} {vex3} {rex} {nooptimize}.
      const name = c.next();
      c.expect('}');
      const p = name.text.toLowerCase();
      if (!PSEUDO.has(p) || (p === 'rex' && this.unit.mode !== 64)) {
        throw new AsmError(`invalid '{${name.text}}' prefix`, first.col);
      }
      pseudo.add(p);
      if (c.atEnd()) throw new AsmError(`expecting an instruction after '{${name.text}}'`, first.col);
      instr = c.next();
    }
    if (instr.kind !== 'ident') throw new AsmError(`junk at end of line, first unrecognized character is '${instr.text[0]}'`, instr.col);
    this.instruction(instr, c, pseudo);
  }

  defineLabel(t: Token): void {
    let name = t.text;
    if (t.kind === 'num') {
      const k = (this.localCount.get(t.value.toString()) ?? 0) + 1;
      this.localCount.set(t.value.toString(), k);
      name = `.L${t.value}\u0002${k}`;
    }
    const s = this.unit.symbol(name);
    if (s.kind !== 'undef') throw new AsmError(`symbol '${name}' is already defined`, t.col);
    const sec = this.unit.current;
    Object.assign(s, { kind: 'label', section: sec, item: sec.items.length, pval: { v: BigInt(sec.fragOff), base: `${sec.name}#${sec.frag}` },
      file: this.file, line: this.stmt.line, col: t.col });
  }

  /** `sym = expr`, .set, .equ, .equiv (GAS manual §5.2.2 "Setting Symbols", §7 .set/.equiv). */
  assign(name: string, c: Cursor, col: number, equiv: boolean): void {
    const expr = parseExprAt(this, c);
    c.end();
    const s = this.unit.symbol(name);
    if (s.kind === 'label' || (equiv && s.kind !== 'undef')) throw new AsmError(`symbol '${name}' is already defined`, col);
    const sec = this.unit.current;
    Object.assign(s, { kind: 'equ', expr, section: sec, item: sec.items.length, pval: this.parseVal(expr), file: this.file, line: this.stmt.line, col });
  }

  private instruction(first: Token, c: Cursor, pseudo: ReadonlySet<string>): void {
    const prefixes: number[] = [];
    let word = first;
    let addrPrefix = 0;
    const mode = this.unit.mode;
    for (;;) {
      const p = PREFIX_WORDS[word.text.toLowerCase()];
      if (p === undefined || (c.peek()?.kind !== 'ident' && !c.atEnd())) break;
      if (p === -16 || p === -32) prefixes.push(0x66);
      else if (p === -116 || p === -132) { prefixes.push(0x67); addrPrefix = p === -116 ? 16 : 32; }
      else prefixes.push(p);
      if (c.atEnd()) {
        // A prefix alone on its line is emitted as it stands (GAS manual §9.16.5).
        this.emitCode({ bytes: prefixes, fields: [] }, true);
        return;
      }
      // GAS 2.40 (tc-i386.c add_prefix): data16 in 16-bit code and data32 elsewhere name the default size.
      if (p === -32 && mode === 64) throw new AsmError(`'data32' is not supported in 64-bit mode`, word.col);
      if (p === -16 && mode === 16 || p === -32 && mode === 32) throw new AsmError(`redundant ${word.text.toLowerCase()} prefix`, word.col);
      word = c.next();
    }
    let mnemonic = word.text.toLowerCase();
    const text = this.stmt.text.trim();
    if (this.intel) mnemonic = intelMnemonic(mnemonic);
    if (candidates(mnemonic).length === 0) throw new AsmError(`no such instruction: '${text}'`, first.col);
    let ops = this.intel ? this.intelOperands(mnemonic, c) : parseOperands(c, this.localRef);
    // `lgdt fword ptr [bx]` in 16-bit code is lgdtl (a 32-bit base: 66h), as `fword` says in GAS's templates.
    if (this.intel && mode === 16 && /^(lgdt|lidt|sgdt|sidt)$/.test(mnemonic) && ops[0]?.t === 'mem' && ops[0].sizeHint === 48) mnemonic += 'l';
    if (this.intel && STRING_OPS.test(mnemonic) && ops.length) {
      const s = intelString(mnemonic, ops, mode);
      mnemonic = s.mnemonic;
      ops = [];
      prefixes.push(...s.prefixes);
      if (s.addrSize) addrPrefix = s.addrSize;
    }
    const ctx: SelectContext = { mode, constant: this.constant, addrPrefix, intel: this.intel,
      direction: pseudo.has('load') ? 'load' : pseudo.has('store') ? 'store' : undefined };
    // GAS takes SYSEXIT's suffix in 64-bit mode only (i386-opc.tbl: sysexit l/q are Cpu64).
    if (mnemonic === 'sysexitl' && mode !== 64) throw new AsmError(`invalid instruction suffix for 'sysexit'`, first.col);
    // {disp32}/{disp16} on a branch ask for its rel32/rel16 form, which must be the code size's.
    const forceLong = pseudo.has('disp32') || pseudo.has('disp16');
    if (forceLong && ops.length === 1 && ops[0].t === 'mem' && !ops[0].base && !ops[0].index && !ops[0].indirect) {
      const bad = pseudo.has('disp32') ? mode === 16 : mode !== 16;
      if (bad && candidates(mnemonic).some((x) => x.form.operands[0]?.loc === Loc.Rel)) throw new AsmError(`invalid '{${pseudo.has('disp32') ? 'disp32' : 'disp16'}}' prefix`, first.col);
    }
    if (this.branch(mnemonic, ops, prefixes, forceLong)) return;
    const sel = selectForm(mnemonic, ops, ctx);
    if (sel.warning) this.diags.warn(this.file, this.stmt.line, first.col, sel.warning);
    let form = sel.form.plusCC ? { ...sel.form, cc: conditionOf(mnemonic, sel.form) } : sel.form;
    if (sel.suffixSize) form = { ...form, opSize: sel.suffixSize };
    if (prefixes.includes(0xf0) && !form.lock) throw new AsmError(`expecting lockable instruction after 'lock'`, first.col);
    this.emitCode(encode({ form, ops: sel.ops, wait: sel.wait }, { mode, constant: this.constant, userPrefixes: prefixes, pseudo }), true);
  }

  /** Intel-syntax operands in AT&T order (ENTER and BOUND keep theirs, as GAS's templates do). */
  private intelOperands(mnemonic: string, c: Cursor): AttOperand[] {
    const branch = candidates(mnemonic).some((x) => x.form.branch && (x.form.mnemonic === 'jmp' || x.form.mnemonic === 'call' ||
      x.form.operands[0]?.loc === Loc.Rel));
    const ctx = { noprefix: this.noprefix, branch, mode: this.unit.mode, local: this.localRef, constant: this.constant };
    return parseIntelOperands(c, ctx, /^(enter[wlq]?|bound[wl]?)$/.test(mnemonic));
  }

  emitCode(enc: Encoded, insn: boolean): void {
    this.unit.add({ k: 'code', enc, insn, file: this.file, line: this.stmt.line, col: this.stmt.col, addr: 0, size: enc.bytes.length }, enc.bytes.length);
  }

  /** Direct branches (rel8/rel16/rel32, relaxed by the layout) and far jumps/calls with two immediates. */
  private branch(mnemonic: string, ops: AttOperand[], prefixes: number[], forceLong: boolean): boolean {
    const mode = this.unit.mode;
    // Only two immediates (a far pointer) or one bare address (a relative target) can be a direct branch.
    const o0 = ops[0];
    const direct = ops.length === 1 && o0.t === 'mem' && !o0.indirect && !o0.base && !o0.index && o0.seg < 0 && !!o0.disp;
    if (!direct && !(ops.length === 2 && ops[0].t === 'imm' && ops[1].t === 'imm')) return false;
    const all = candidates(mnemonic).filter((x) => validInMode(x.form, mode));
    // ljmp $sel,$off / lcall $sel,$off (also jmp/call with two immediates): JMP/CALL ptr16:16/32.
    if (ops.length === 2 && ops[0].t === 'imm' && ops[1].t === 'imm') {
      const far = (mnemonic.startsWith('j') || mnemonic.startsWith('c') ? candidates('l' + mnemonic) : all).concat(all)
        .filter((x) => validInMode(x.form, mode) && x.form.operands[0]?.loc === Loc.Ptr);
      if (far.length === 0) return false;
      const size = far.find((x) => x.suffixSize)?.suffixSize || (mode === 16 ? 16 : 32);
      const f = far.find((x) => x.form.opSize === size);
      if (!f) throw new AsmError(`operand type mismatch for '${mnemonic}'`);
      const head = orderPrefixes([...prefixes, ...(size !== mode ? [0x66] : [])]);
      const bytes = [...head, f.form.opcode];
      const offSize = size / 8;
      const enc: Encoded = { bytes: [...bytes, ...new Array(offSize + 2).fill(0)], fields: [
        { offset: bytes.length, size: offSize, expr: ops[1].expr, pcrel: false, check: 'either' },
        { offset: bytes.length + offSize, size: 2, expr: ops[0].expr, pcrel: false, check: 'either' },
      ] };
      this.emitCode(enc, true);
      return true;
    }
    const rel = all.filter((x) => x.form.operands[0]?.loc === Loc.Rel);
    if (rel.length === 0 || ops.length !== 1) return false;
    const o = ops[0];
    if (o.t !== 'mem' || o.indirect || o.base || o.index || o.seg >= 0 || !o.disp) return false;
    const suffix = rel.find((x) => x.suffixSize)?.suffixSize ?? 0;
    // A direct JMP takes no suffix in GAS 2.40 (callw/calll do): `jmpl label` is an error there.
    if (suffix && /^jmp[wlq]$/.test(mnemonic)) throw new AsmError(`invalid instruction suffix for 'jmp'`, o.col);
    const nearSize = suffix || (mode === 64 ? 64 : mode);
    const short = rel.find((x) => x.form.operands[0].size === 8);
    const long = rel.find((x) => x.form.operands[0].size > 8 && x.form.opSize === nearSize);
    const build = (f: Form): Encoded => {
      const pre = [...prefixes];
      if (f.opSize && f.opSize !== 64 && f.opSize !== mode) pre.push(0x66);
      if (f.addrSize && f.addrSize !== mode) pre.push(0x67);
      const bytes = orderPrefixes(pre);
      if (f.map === 1) bytes.push(0x0f);
      bytes.push(f.opcode + (f.plusCC ? conditionOf(mnemonic, f) : 0));
      const size = f.operands[0].size / 8;
      const offset = bytes.length;
      for (let k = 0; k < size; k++) bytes.push(0);
      return { bytes, fields: [{ offset, size, expr: o.disp as Expr, pcrel: true, check: 'signed', branch: mode === 64 }] };
    };
    const base = { file: this.file, line: this.stmt.line, col: this.stmt.col, addr: 0, size: 0 };
    if (short && long && !forceLong) {
      const s = build(short.form);
      this.unit.add({ ...base, k: 'branch', short: s, long: build(long.form), target: o.disp, isLong: false, size: s.bytes.length }, null);
    } else {
      const f = (long ?? short)?.form;
      if (!f) throw new AsmError(`operand type mismatch for '${mnemonic}'`);
      this.emitCode(build(f), true);
    }
    return true;
  }
}

/** Parses an expression with the parser's local-label naming. */
export function parseExprAt(p: Parser, c: Cursor): Expr {
  return parseExprImpl(c, p.localRef);
}

export type { Mode };
