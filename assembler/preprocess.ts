// preprocess.ts: turns source text into statements: removes comments (`#` to end of line and /* … */,
// GAS manual §3.3 "Comments" and §9.16.3 for i386) and splits lines at `;` (§3.5 "Statements").
// Used per line by reader.ts, after the C preprocessor (cpp.ts) when the source is a .S file.

export interface Statement {
  /** 1-based source line. */
  line: number;
  /** 1-based column of text[0] in that line. */
  col: number;
  text: string;
}

export function splitStatements(source: string): Statement[] {
  const out: Statement[] = [];
  const lines = source.split('\n');
  let inBlock = false;
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n];
    let cur = '';
    let curCol = 1;
    let k = 0;
    const flush = (): void => {
      if (cur.trim() !== '') out.push({ line: n + 1, col: curCol, text: cur });
      cur = '';
    };
    while (k < l.length) {
      if (inBlock) {
        const end = l.indexOf('*/', k);
        if (end < 0) break;
        // A block comment reads as a space.
        cur += ' '.repeat(end + 2 - k);
        k = end + 2;
        inBlock = false;
        continue;
      }
      const c = l[k];
      if (c === '"') {
        // Copy the string whole so `#` and `;` inside it stay.
        let j = k + 1;
        while (j < l.length && l[j] !== '"') j += l[j] === '\\' ? 2 : 1;
        cur += l.slice(k, j + 1);
        k = j + 1;
        continue;
      }
      if (c === "'") {
        // Character constant: the next character (or escape) is literal.
        const len = l[k + 1] === '\\' ? 3 : 2;
        cur += l.slice(k, k + len);
        k += len;
        continue;
      }
      if (c === '#') break;
      if (c === '/' && l[k + 1] === '*') { inBlock = true; cur += '  '; k += 2; continue; }
      if (c === ';') { flush(); k++; curCol = k + 1; continue; }
      cur += c;
      k++;
    }
    flush();
  }
  return out;
}
