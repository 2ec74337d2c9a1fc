// translateModel.ts: the lines "Trampoline: Translate Address…" shows for a `trampoline/translate` answer
// (adapter/pageTables.ts TranslateJson): one per level of the walk, then the physical address or the #PF
// the access would raise (SDM Vol.3A §4.7: error code bits P, W/R, U/S, RSVD, I/D).
import type { TranslateJson } from '../adapter/pageTables';

export interface TranslateLine {
  label: string;
  description: string;
  detail: string;
}

export function translateLines(t: TranslateJson): TranslateLine[] {
  const lines: TranslateLine[] = t.levels.map((l) => ({
    label: `${l.level}[${l.index}]`,
    description: `${l.value}  ${l.flags.join(' ')}${l.reserved ? '  reserved bits set' : ''}`,
    detail: `table at ${l.tableAddress}, entry at ${l.entryAddress} → ${l.physical}`,
  }));
  if (t.physical !== null) {
    lines.push({ label: `${t.linear} → ${t.physical}`, description: t.paging === 'none' ? 'paging off: linear = physical' : `${t.paging} paging`, detail: 'physical address' });
  } else if (t.fault !== null) {
    lines.push({ label: `${t.linear} → #PF`, description: `error code 0x${t.fault.errorCode.toString(16)}`, detail: t.fault.reason });
  }
  return lines;
}

/** The same walk as Markdown text, for the output channel. */
export function translateText(t: TranslateJson): string {
  return [`translate ${t.linear} (${t.paging} paging)`, ...translateLines(t).map((l) => `  ${l.label.padEnd(28)} ${l.description}  — ${l.detail}`)].join('\n');
}
