// cpp.ts: the subset of the C preprocessor that `gcc -c x.S` (assembler-with-cpp) runs before GNU as:
// comments, line splicing, #define/#undef (object- and function-like, # and ##, variadic), #if family,
// #include, #error/#warning, with every output line keeping the file:line it came from (C17 §6.10;
// GCC "The C Preprocessor" manual, and its §"Assembler" notes on `-lang-asm` leniency).
import { Diagnostics } from './errors';

/** One output line and the original place it comes from. */
export interface SourceLine {
  text: string;
  file: string;
  line: number;
}

export interface CppOptions {
  readFile?: (path: string) => string | null;
  includePaths?: string[];
  defines?: Record<string, string>;
  /** Filled with the object-like macros defined when the file ends (name → replacement text), for debuggers. */
  macrosOut?: Map<string, string>;
}

interface Tok {
  /** 'id' identifier, 'num' pp-number, 'str' string/char literal, 'ws' whitespace, 'op' anything else. */
  k: 'id' | 'num' | 'str' | 'ws' | 'op';
  t: string;
  /** Macros that must not expand this token again (C17 §6.10.3.4 "painted blue"). */
  hide?: ReadonlySet<string>;
  /** A macro parameter reference inside a replacement list (index), for substitution. */
  param?: number;
}

interface Macro {
  name: string;
  params: string[] | null;
  variadic: boolean;
  body: Tok[];
}

const MAX_INCLUDE_DEPTH = 200; // GCC's limit
const MAX_EXPANSION = 1 << 20; // output tokens per line, against exponential definitions
const MAX_JOINED_LINES = 1000; // lines one macro invocation's arguments may span (bounds the rescans)

/** Splits one logical line into pp-tokens (C17 §6.4), lenient about lone quotes like GCC's -lang-asm. */
function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let k = 0;
  while (k < s.length) {
    const c = s[k];
    const start = k;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      while (k < s.length && /[ \t\r\f\v]/.test(s[k])) k++;
      out.push({ k: 'ws', t: s.slice(start, k) });
    } else if (/[A-Za-z_]/.test(c)) {
      // No `$` in identifiers: GCC's assembler mode leaves `$NAME` (an AT&T immediate) as `$` and NAME.
      while (k < s.length && /[A-Za-z0-9_]/.test(s[k])) k++;
      out.push({ k: 'id', t: s.slice(start, k) });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[k + 1] ?? ''))) {
      k++;
      while (k < s.length) {
        if (/[eEpP]/.test(s[k]) && /[+-]/.test(s[k + 1] ?? '')) k += 2;
        else if (/[0-9A-Za-z_.]/.test(s[k])) k++;
        else break;
      }
      out.push({ k: 'num', t: s.slice(start, k) });
    } else if (c === '"' || c === "'") {
      let j = k + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
      if (j < s.length) {
        out.push({ k: 'str', t: s.slice(k, j + 1) });
        k = j + 1;
      } else {
        // GCC in assembler mode: an unterminated quote is a lone character (GAS's 'c constants).
        out.push({ k: 'op', t: c });
        k++;
      }
    } else if (c === '#' && s[k + 1] === '#') {
      out.push({ k: 'op', t: '##' });
      k += 2;
    } else {
      out.push({ k: 'op', t: c });
      k++;
    }
  }
  return out;
}

const text = (ts: readonly Tok[]): string => ts.map((t) => t.t).join('');

function trimWs(ts: Tok[]): Tok[] {
  let a = 0, b = ts.length;
  while (a < b && ts[a].k === 'ws') a++;
  while (b > a && ts[b - 1].k === 'ws') b--;
  return ts.slice(a, b);
}

class CppError extends Error {}

function dirname(p: string): string {
  const k = p.lastIndexOf('/');
  return k < 0 ? '' : p.slice(0, k + 1);
}

/** Runs the preprocessor over `source`; diagnostics go to `diags` at the original file:line:col. */
export function preprocessC(source: string, file: string, options: CppOptions, diags: Diagnostics): SourceLine[] {
  const macros = new Map<string, Macro>();
  const out: SourceLine[] = [];
  let curFile = file, curLine = 0;

  const define = (name: string, value: string): void => {
    macros.set(name, { name, params: null, variadic: false, body: trimWs(lex(value)) });
  };
  // What gcc predefines for `-x assembler-with-cpp` on x86-64 Linux that assembly sources test.
  for (const [n, v] of [['__ASSEMBLER__', '1'], ['__x86_64__', '1'], ['__x86_64', '1'], ['__amd64__', '1'], ['__amd64', '1'],
    ['__ELF__', '1'], ['__linux__', '1'], ['__LP64__', '1'], ['_LP64', '1'], ['__GNUC__', '12']]) define(n, v);
  for (const [n, v] of Object.entries(options.defines ?? {})) define(n, v === '' ? '1' : v);

  /** Reads a macro invocation's arguments from toks[k] (just after the name); null when no `(` follows. */
  function collectArgs(toks: Tok[], k: number): { args: Tok[][]; end: number; rparen: Tok } | null {
    let j = k;
    while (j < toks.length && toks[j].k === 'ws') j++;
    if (toks[j]?.t !== '(') return null;
    j++;
    const args: Tok[][] = [[]];
    let depth = 0;
    for (; j < toks.length; j++) {
      const t = toks[j];
      if (t.k === 'op' && t.t === '(') depth++;
      else if (t.k === 'op' && t.t === ')') {
        if (depth === 0) return { args: args.map(trimWs), end: j + 1, rparen: t };
        depth--;
      } else if (t.k === 'op' && t.t === ',' && depth === 0) { args.push([]); continue; }
      args[args.length - 1].push(t);
    }
    throw new CppError(`unterminated argument list invoking macro "${text([toks[k - 1]])}"`);
  }

  /** Replaces parameters in a function-like macro's body (C17 §6.10.3.1-3: #, ## and argument expansion). */
  function substitute(m: Macro, args: Tok[][], hide: ReadonlySet<string>): Tok[] {
    const body = m.body;
    const res: Tok[] = [];
    const argOf = (t: Tok): Tok[] | null => (t.param === undefined ? null : args[t.param] ?? []);
    for (let k = 0; k < body.length; k++) {
      const t = body[k];
      if (t.k === 'op' && t.t === '#' && m.params) {
        let j = k + 1;
        while (body[j]?.k === 'ws') j++;
        const a = body[j] ? argOf(body[j]) : null;
        if (a) {
          const s = text(a.map((x) => (x.k === 'ws' ? { ...x, t: ' ' } : x))).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
          res.push({ k: 'str', t: `"${s}"` });
          k = j;
          continue;
        }
      }
      const nextOp = (from: number): number => { let j = from; while (body[j]?.k === 'ws') j++; return j; };
      const pasteNext = body[nextOp(k + 1)]?.t === '##';
      if (t.t === '##' && t.k === 'op') {
        // Paste: drop surrounding whitespace, glue the next token (or argument's first token) to the last.
        while (res.length && res[res.length - 1].k === 'ws') res.pop();
        const j = nextOp(k + 1);
        const nt = body[j];
        k = j;
        if (!nt) break;
        let right = argOf(nt) ?? [nt];
        // GNU: `, ## __VA_ARGS__` drops the comma when the variable arguments are empty.
        if (m.variadic && nt.param === (m.params?.length ?? 0) - 1 && right.length === 0 && res[res.length - 1]?.t === ',') {
          res.pop();
          continue;
        }
        right = right.map((x) => ({ ...x }));
        if (res.length && right.length) {
          const last = res.pop() as Tok;
          const glued = lex(last.t + right[0].t);
          res.push(...(glued.length === 1 ? glued : [last, right[0]]));
          res.push(...right.slice(1));
        } else res.push(...right);
        continue;
      }
      const a = argOf(t);
      if (a) {
        // An operand of ## is used unexpanded; otherwise the argument is fully macro-expanded first.
        res.push(...(pasteNext ? a : expand(a, 0)));
        continue;
      }
      res.push(t);
    }
    return res.map((t) => ({ ...t, hide: new Set([...(t.hide ?? []), ...hide]) }));
  }

  /** Macro-expands a token list (C17 §6.10.3.4 rescanning, with hide sets). */
  function expand(input: Tok[], depth: number): Tok[] {
    if (depth > 200) throw new CppError('macro expansion too deep');
    const toks = input.slice();
    const res: Tok[] = [];
    let k = 0;
    while (k < toks.length) {
      if (toks.length + res.length > MAX_EXPANSION) throw new CppError('macro expansion too large');
      const t = toks[k];
      const m = t.k === 'id' ? macros.get(t.t) : undefined;
      if (!m || t.hide?.has(t.t)) {
        if (t.k === 'id' && t.t === '__LINE__') res.push({ k: 'num', t: String(curLine) });
        else if (t.k === 'id' && t.t === '__FILE__') res.push({ k: 'str', t: JSON.stringify(curFile) });
        else res.push(t);
        k++;
        continue;
      }
      if (!m.params) {
        const hide = new Set([...(t.hide ?? []), m.name]);
        toks.splice(k, 1, ...m.body.map((x) => ({ ...x, hide: new Set([...(x.hide ?? []), ...hide]) })));
        continue;
      }
      const call = collectArgs(toks, k + 1);
      if (!call) { res.push(t); k++; continue; }
      let args = call.args;
      const n = m.params.length;
      if (n === 0 && args.length === 1 && args[0].length === 0) args = [];
      if (m.variadic && args.length >= n) {
        // The variable arguments are one argument, commas included.
        const rest: Tok[] = [];
        args.slice(n - 1).forEach((a, i) => { if (i) rest.push({ k: 'op', t: ',' }); rest.push(...a); });
        args = [...args.slice(0, n - 1), rest];
      } else if (m.variadic && args.length === n - 1) args = [...args, []];
      if (args.length === 0 && n === 1) args = [[]];
      if (args.length !== n) {
        throw new CppError(`macro "${m.name}" ${args.length > n ? 'passed' : 'requires'} ${args.length > n ? args.length : n} arguments, but ${args.length > n ? 'takes just' : 'only'} ${args.length > n ? n : args.length}${args.length > n ? '' : ' given'}`);
      }
      const hide = new Set([...[...(t.hide ?? [])].filter((h) => call.rparen.hide?.has(h) ?? false), m.name]);
      toks.splice(k, call.end - k, ...substitute(m, args, hide));
    }
    return res;
  }

  /** Evaluates a #if expression (C17 §6.10.1): defined(), then expansion, then identifiers are 0. */
  function evalIf(toks: Tok[]): bigint {
    const pre: Tok[] = [];
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      if (t.k === 'id' && t.t === 'defined') {
        let j = k + 1;
        while (toks[j]?.k === 'ws') j++;
        const paren = toks[j]?.t === '(';
        if (paren) { j++; while (toks[j]?.k === 'ws') j++; }
        const name = toks[j];
        if (name?.k !== 'id') throw new CppError('operator "defined" requires an identifier');
        if (paren) { j++; while (toks[j]?.k === 'ws') j++; if (toks[j]?.t !== ')') throw new CppError('missing \')\' after "defined"'); }
        pre.push({ k: 'num', t: macros.has(name.t) || name.t === '__LINE__' || name.t === '__FILE__' ? '1' : '0' });
        k = j;
      } else pre.push(t);
    }
    const ts = expand(pre, 0).filter((t) => t.k !== 'ws');
    let p = 0;
    const peek = (): string => ts[p]?.t ?? '';
    const two = (): string => (ts[p]?.k === 'op' && ts[p + 1]?.k === 'op' ? ts[p].t + ts[p + 1].t : '');
    // C operator precedence, loosest first (C17 §6.5.5-6.5.14).
    const bin: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<=', '>=', '<', '>'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
    const apply = (op: string, a: bigint, b: bigint): bigint => {
      switch (op) {
        case '||': return a || b ? 1n : 0n;
        case '&&': return a && b ? 1n : 0n;
        case '|': return a | b;
        case '^': return a ^ b;
        case '&': return a & b;
        case '==': return a === b ? 1n : 0n;
        case '!=': return a !== b ? 1n : 0n;
        case '<': return a < b ? 1n : 0n;
        case '>': return a > b ? 1n : 0n;
        case '<=': return a <= b ? 1n : 0n;
        case '>=': return a >= b ? 1n : 0n;
        case '<<': return b >= 64n || b < 0n ? 0n : a << b;
        case '>>': return b >= 64n || b < 0n ? (a < 0n ? -1n : 0n) : a >> b;
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': if (b === 0n) throw new CppError('division by zero in #if'); return a / b;
        default: if (b === 0n) throw new CppError('division by zero in #if'); return a % b;
      }
    };
    const opAt = (ops: string[]): string | null => {
      const t2 = two();
      if (ops.includes(t2)) return t2;
      const t1 = ts[p]?.k === 'op' ? ts[p].t : '';
      // `<` must not be the start of `<<` or `<=` (and likewise for the others) when only the single is wanted.
      if (ops.includes(t1) && !(t2.length === 2 && ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||'].includes(t2))) return t1;
      return null;
    };
    const level = (n: number): bigint => {
      if (n === bin.length) return unary();
      let a = level(n + 1);
      for (let op = opAt(bin[n]); op; op = opAt(bin[n])) {
        p += op.length === 2 && ts[p].t.length === 1 ? 2 : 1;
        const b = level(n + 1);
        a = BigInt.asIntN(64, apply(op, a, b));
      }
      return a;
    };
    const cond = (): bigint => {
      const c = level(0);
      if (peek() !== '?') return c;
      p++;
      const a = cond();
      if (peek() !== ':') throw new CppError("expected ':' in #if");
      p++;
      const b = cond();
      return c ? a : b;
    };
    const unary = (): bigint => {
      const t = ts[p++];
      if (!t) throw new CppError(p > 1 ? `operator '${ts[p - 2].t}' has no right operand` : '#if with no expression');
      if (t.t === '(') { const v = cond(); if (peek() !== ')') throw new CppError("missing ')' in expression"); p++; return v; }
      if (t.t === '!') return unary() ? 0n : 1n;
      if (t.t === '~') return BigInt.asIntN(64, ~unary());
      if (t.t === '-') return BigInt.asIntN(64, -unary());
      if (t.t === '+') return unary();
      if (t.k === 'id') return 0n;
      if (t.k === 'num') {
        const m = /^(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)(u|l|ul|lu|ll|ull|llu)?$/i.exec(t.t);
        if (!m) throw new CppError(`invalid integer constant "${t.t}" in #if`);
        const d = m[1].toLowerCase();
        return BigInt.asIntN(64, BigInt(d.length > 1 && d[0] === '0' && /^0[0-7]+$/.test(d) ? '0o' + d.slice(1) : d));
      }
      if (t.k === 'str' && t.t[0] === "'") {
        const body = t.t.slice(1, -1);
        const esc: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };
        return BigInt(body[0] === '\\' ? esc[body[1]] ?? body.charCodeAt(1) : body.charCodeAt(0) || 0);
      }
      throw new CppError(`token "${t.t}" is not valid in preprocessor expressions`);
    };
    const v = cond();
    if (p < ts.length) throw new CppError(`missing binary operator before token "${ts[p].t}"`);
    return v;
  }

  function parseDefine(rest: string): void {
    const ts = lex(rest);
    let k = 0;
    while (ts[k]?.k === 'ws') k++;
    const name = ts[k];
    if (!name) throw new CppError('no macro name given in #define directive');
    if (name.k !== 'id') throw new CppError('macro names must be identifiers');
    k++;
    let params: string[] | null = null;
    let variadic = false;
    if (ts[k]?.t === '(') {
      // Function-like only when `(` follows the name directly (C17 §6.10.3 ¶3).
      params = [];
      k++;
      for (;;) {
        while (ts[k]?.k === 'ws') k++;
        const t = ts[k];
        if (!t) throw new CppError('missing \')\' in macro parameter list');
        if (t.t === ')' && params.length === 0) { k++; break; }
        if (t.t === '.' && ts[k + 1]?.t === '.' && ts[k + 2]?.t === '.') { params.push('__VA_ARGS__'); variadic = true; k += 3; }
        else if (t.k === 'id') {
          k++;
          if (ts[k]?.t === '.' && ts[k + 1]?.t === '.' && ts[k + 2]?.t === '.') { variadic = true; k += 3; }
          params.push(t.t);
        } else throw new CppError(`expected parameter name, found "${t.t}"`);
        while (ts[k]?.k === 'ws') k++;
        if (ts[k]?.t === ',' && !variadic) { k++; continue; }
        if (ts[k]?.t === ')') { k++; break; }
        throw new CppError(`expected ',' or ')', found "${ts[k]?.t ?? ''}"`);
      }
    }
    const body = trimWs(ts.slice(k)).map((t) => {
      const i = params && t.k === 'id' ? params.indexOf(t.t) : -1;
      return i >= 0 ? { ...t, param: i } : t;
    });
    macros.set(name.t, { name: name.t, params, variadic, body });
  }

  function findInclude(name: string, angled: boolean, from: string): { path: string; text: string } | null {
    const dirs = [...(angled ? [] : [dirname(from)]), ...(options.includePaths ?? []).map((d) => (d.endsWith('/') ? d : d + '/'))];
    for (const d of dirs) {
      const path = name.startsWith('/') ? name : d + name;
      const t = options.readFile?.(path) ?? null;
      if (t !== null) return { path, text: t };
    }
    return null;
  }

  /** Processes one file; `depth` counts #include nesting. */
  function run(src: string, name: string, depth: number): void {
    // Physical lines, with comments replaced by a space and backslash-newlines spliced (C17 §5.1.1.2).
    const phys = src.split('\n');
    interface Logical { text: string; line: number }
    const lines: Logical[] = [];
    let inComment = false, commentLine = 0, commentCol = 0;
    for (let n = 0; n < phys.length; n++) {
      let cur = '';
      const first = n;
      let l = phys[n];
      for (;;) {
        let k = 0;
        let quote = '';
        while (k < l.length) {
          const c = l[k];
          if (inComment) {
            const e = l.indexOf('*/', k);
            if (e < 0) break;
            k = e + 2;
            inComment = false;
            cur += ' ';
            continue;
          }
          if (quote) {
            if (c === '\\' && k + 1 < l.length) { cur += l.slice(k, k + 2); k += 2; continue; }
            if (c === quote) quote = '';
            cur += c;
            k++;
            continue;
          }
          if (c === '"' || (c === "'" && l.indexOf("'", k + 1) > 0)) { quote = c; cur += c; k++; continue; }
          if (c === '/' && l[k + 1] === '*') { inComment = true; commentLine = n + 1; commentCol = k + 1; k += 2; continue; }
          if (c === '/' && l[k + 1] === '/') break;
          cur += c;
          k++;
        }
        if (!inComment && cur.endsWith('\\') && n + 1 < phys.length) { cur = cur.slice(0, -1); l = phys[++n]; continue; }
        if (inComment && n + 1 < phys.length) { l = phys[++n]; continue; }
        break;
      }
      lines.push({ text: cur, line: first + 1 });
      for (let j = first + 1; j <= n; j++) lines.push({ text: '', line: j + 1 });
    }
    if (inComment) diags.error(name, commentLine, commentCol, 'unterminated comment');

    // Conditional stack: whether the group is being kept, whether a branch was taken, whether #else was seen.
    const conds: { keep: boolean; taken: boolean; sawElse: boolean; line: number; col: number; what: string }[] = [];
    const active = (): boolean => conds.every((c) => c.keep);
    for (let li = 0; li < lines.length; li++) {
      const { text: l, line } = lines[li];
      curFile = name; curLine = line;
      const m = /^(\s*)#\s*([A-Za-z_]\w*)?(.*)$/.exec(l);
      if (m) {
        const dir = m[2] ?? '';
        const rest = m[3];
        const col = m[1].length + 2;
        try {
          switch (dir) {
            case 'if': case 'ifdef': case 'ifndef': {
              // Pushed before the test: a bad condition still opens a (skipped) group, as in gcc.
              const cond = { keep: false, taken: false, sawElse: false, line, col, what: dir };
              const outer = active();
              conds.push(cond);
              let keep = false;
              if (outer) {
                if (dir === 'if') keep = evalIf(lex(rest)) !== 0n;
                else {
                  const id = rest.trim().split(/\s+/)[0] ?? '';
                  if (!/^[A-Za-z_]\w*$/.test(id)) throw new CppError(id ? 'macro names must be identifiers' : `no macro name given in #${dir} directive`);
                  keep = macros.has(id) === (dir === 'ifdef');
                }
              }
              cond.keep = cond.taken = keep;
              continue;
            }
            case 'elif': case 'else': {
              const c = conds[conds.length - 1];
              if (!c) throw new CppError(`#${dir} without #if`);
              if (c.sawElse) throw new CppError(`#${dir} after #else`);
              const outer = conds.slice(0, -1).every((x) => x.keep);
              if (dir === 'else') { c.sawElse = true; c.keep = outer && !c.taken; }
              else c.keep = outer && !c.taken && evalIf(lex(rest)) !== 0n;
              c.taken ||= c.keep;
              continue;
            }
            case 'endif':
              if (!conds.pop()) throw new CppError('#endif without #if');
              continue;
          }
          if (!active()) continue;
          switch (dir) {
            case 'define': parseDefine(rest); continue;
            case 'undef': {
              const id = rest.trim();
              if (!/^[A-Za-z_]\w*$/.test(id)) throw new CppError(id ? 'macro names must be identifiers' : 'no macro name given in #undef directive');
              macros.delete(id);
              continue;
            }
            case 'include': {
              let spec = rest.trim();
              if (!/^["<]/.test(spec)) spec = text(expand(trimWs(lex(spec)), 0)).trim();
              const q = /^"([^"]*)"|^<([^>]*)>/.exec(spec);
              if (!q) throw new CppError('#include expects "FILENAME" or <FILENAME>');
              const inc = q[1] ?? q[2];
              if (depth + 1 >= MAX_INCLUDE_DEPTH) throw new CppError(`#include nested depth ${MAX_INCLUDE_DEPTH} exceeds maximum of ${MAX_INCLUDE_DEPTH}`);
              const found = findInclude(inc, q[2] !== undefined, name);
              if (!found) throw new CppError(`${inc}: No such file or directory`);
              run(found.text, found.path, depth + 1);
              curFile = name;
              continue;
            }
            case 'error': throw new CppError(`#error${rest.replace(/^\s*/, ' ').trimEnd()}`);
            case 'warning': diags.warn(name, line, col, `#warning${rest.replace(/^\s*/, ' ').trimEnd()}`); continue;
            case 'line': case 'pragma': case 'ident': continue;
          }
          // Anything else after `#` (a GAS comment, `# 1 "file"`) is passed through: GCC's -lang-asm does.
        } catch (e) {
          if (!(e instanceof CppError)) throw e;
          diags.error(name, line, col, e.message);
          continue;
        }
        out.push({ text: l, file: name, line });
        continue;
      }
      if (!active()) continue;
      // A function-like macro's arguments may go on over the next lines (C17 §6.10.3 ¶10): join them.
      let joined = l;
      for (let extra = 0; ; extra++) {
        try {
          out.push({ text: text(expand(lex(joined), 0)), file: name, line });
        } catch (e) {
          if (!(e instanceof CppError)) throw e;
          const next = lines[li + 1];
          if (e.message.startsWith('unterminated argument list') && next && !/^\s*#/.test(next.text) && extra < MAX_JOINED_LINES) {
            joined += ' ' + next.text;
            li++;
            continue;
          }
          diags.error(name, line, 1, e.message);
        }
        break;
      }
    }
    for (const c of conds) diags.error(name, c.line, c.col, `unterminated #${c.what}`);
  }

  run(source, file, 0);
  if (options.macrosOut) for (const m of macros.values()) if (m.params === null) options.macrosOut.set(m.name, text(m.body));
  return out;
}
