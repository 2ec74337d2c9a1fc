// test/asm/differential.ts: assembles lines with GNU as and with ours, one 16-byte slot per line (each
// line is followed by `.byte 0xcc` and `.balign 16, 0xcc`), so a difference stays within its line and each line counts.
import { assemble } from '../../assembler/index';
import { gasText, hex } from './gas';

export interface LineResult {
  line: string;
  ours: string;
  gas: string;
}

export interface DiffReport {
  total: number;
  passed: number;
  failures: LineResult[];
  /** Lines GNU as rejects (left out of the comparison), and whether ours rejects them too. */
  gasRejected: { line: string; oursRejects: boolean }[];
}

export function compareLines(prologue: string, lines: string[]): DiffReport {
  let kept = [...lines];
  const rejected: string[] = [];
  let gas: Uint8Array | null = null;
  for (let attempt = 0; attempt < 5 && kept.length; attempt++) {
    const src = prologue + kept.map((l) => `${l}\n.byte 0xcc\n.balign 16, 0xcc\n`).join('');
    const g = gasText(src);
    if (g.text) { gas = g.text; break; }
    const bad = new Set<number>();
    const pro = prologue.split('\n').length - 1;
    for (const m of g.stderr.matchAll(/in\.S:(\d+): Error/g)) bad.add(Math.floor((+m[1] - 1 - pro) / 3));
    if (bad.size === 0) throw new Error(`as failed: ${g.stderr}`);
    rejected.push(...kept.filter((_, k) => bad.has(k)));
    kept = kept.filter((_, k) => !bad.has(k));
  }
  const src = prologue + kept.map((l) => `${l}\n.byte 0xcc\n.balign 16, 0xcc\n`).join('');
  const r = assemble(src, { file: 'in.S' });
  const ours = r.sections.find((s) => s.name === '.text')?.data ?? new Uint8Array(0);
  const failures: LineResult[] = [];
  const trim = (b: Uint8Array) => { let n = b.length; while (n > 0 && b[n - 1] === 0xcc) n--; return hex(b.subarray(0, n)); };
  kept.forEach((line, k) => {
    const a = trim(ours.subarray(k * 16, k * 16 + 16));
    const b = trim((gas ?? new Uint8Array(0)).subarray(k * 16, k * 16 + 16));
    if (a !== b) failures.push({ line, ours: a, gas: b });
  });
  const gasRejected = rejected.map((line) => ({ line, oursRejects: assemble(prologue + line + '\n', { file: 'x.S' }).errors.length > 0 }));
  return { total: kept.length, passed: kept.length - failures.length, failures, gasRejected };
}
