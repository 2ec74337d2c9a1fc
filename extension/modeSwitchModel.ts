// modeSwitchModel.ts: turns `trampoline/modeHistory` (adapter/session.ts) into the Mode Switches view's rows
// and the status bar's text, without `vscode`, so the shaping is tested in Node against a real session.

export interface ModeStateJson {
  mode: string;
  paging: string;
}

export interface ModeSwitchJson {
  /** Instructions retired before the switch. */
  instruction: number;
  address: string;
  /** The address as `label+offset`. */
  symbol: string;
  /** Mnemonic of the instruction that caused it. */
  via: string;
  from: ModeStateJson;
  to: ModeStateJson;
  source?: { path: string; name: string };
  line?: number;
}

export interface ModeHistoryJson {
  switches: ModeSwitchJson[];
  current: ModeStateJson & { cpl: number; addressBits: number; codeBits: number; instruction: number; address: string };
}

export interface SwitchView {
  label: string;
  description: string;
  tooltip: string;
  /** The switching instruction's linear address (hex), for "Copy Address". */
  address: string;
  /** Where selecting the row goes, when the switch has a source line. */
  location: { path: string; line: number } | null;
}

const state = (s: ModeStateJson): string => `${s.mode} · ${s.paging}`;

/** `#1 long64 · 4-level → compat32 · 4-level`, `lretq at startup_64+0x83 (insn 474)`. */
export function switchView(s: ModeSwitchJson, k: number): SwitchView {
  const where = s.source !== undefined && s.line !== undefined ? `${s.source.name}:${s.line}` : 'no source line';
  return {
    label: `#${k + 1} ${state(s.from)} → ${state(s.to)}`,
    description: `${s.via} at ${s.symbol} (insn ${s.instruction})`,
    tooltip: `${state(s.from)} → ${state(s.to)}\nvia ${s.via} at ${s.symbol} (${s.address})\nafter ${s.instruction} instructions\n${where}`,
    address: s.address,
    location: s.source !== undefined && s.line !== undefined ? { path: s.source.path, line: s.line } : null,
  };
}

export function switchViews(h: ModeHistoryJson): SwitchView[] {
  return h.switches.map(switchView);
}

/** The status bar: `long64 · 5-level · CPL0`. */
export function statusText(h: ModeHistoryJson): string {
  return `${state(h.current)} · CPL${h.current.cpl}`;
}

export function statusTooltip(h: ModeHistoryJson): string {
  const c = h.current;
  return `${c.mode}, ${c.paging === 'none' ? 'paging off' : `${c.paging} paging`}, CPL ${c.cpl}\n${c.codeBits}-bit code, ${c.addressBits}-bit addresses\nat ${c.address} after ${c.instruction} instructions; ${h.switches.length} mode switch${h.switches.length === 1 ? '' : 'es'} so far`;
}
