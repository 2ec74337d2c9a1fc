// options.ts: parses the options of `trampoline run` (design.md "CLI") into a typed record, or into the
// message a bad option gets (naming the option and, for enumerations, the accepted values; exit status 2).
import { BOOT_STATES, type BootState } from '../emulator/loaders/detect';
import { parseNumber, parseSize } from '../emulator/loaders/boot';
import { OPTIONAL_DEVICES } from '../emulator/devices/optionalDevices';

export type TraceKind = 'modes' | 'cr' | 'exceptions' | 'insns';
export const TRACE_KINDS: readonly TraceKind[] = ['modes', 'cr', 'exceptions', 'insns'];

export interface RunOptions {
  program: string;
  boot: BootState | null;
  load: number | null;
  /** A label or an address (still text: labels are resolved once the program's symbols are known). */
  entry: string | null;
  cpu: string | null;
  /** `--device NAME`, once per device (emulator/devices/optionalDevices.ts). */
  devices: string[];
  paging: 4 | 5;
  /** Guest RAM in bytes; null: the default (256 MiB, grown to reach a load address above 4 GiB). */
  memory: number | null;
  cmdline: string | null;
  disk: string | null;
  /** TEXT, or @FILE (read later, so the message can name the file). */
  input: string | null;
  initrd: string[];
  maxInstructions: number;
  trace: Set<TraceKind>;
  json: boolean;
}

export const RUN_USAGE = 'Usage: trampoline run <program> [--boot reset|real|protected|multiboot|long] [--load ADDR] [--entry LABEL|ADDR]\n' +
  '         [--cpu FEATURES] [--device pc-testdev] [--paging 4|5] [--memory SIZE] [--cmdline TEXT] [--disk FILE] [--input TEXT|@FILE]\n' +
  '         [--initrd FILE] [--max-instructions N] [--trace modes,cr,exceptions,insns] [--json]\n';

/** Default instruction budget: large enough for any boot program, small enough that a hang ends. */
export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000_000;

export { parseNumber, parseSize };

export type Parsed = { ok: true; options: RunOptions } | { ok: false; message: string; help?: boolean };

const VALUE_OPTIONS = new Set(['--boot', '--load', '--entry', '--cpu', '--device', '--paging', '--memory', '--cmdline', '--disk', '--input', '--initrd', '--max-instructions', '--trace']);

export function parseRunOptions(argv: string[]): Parsed {
  const o: RunOptions = {
    program: '', boot: null, load: null, entry: null, cpu: null, devices: [], paging: 4, memory: null, cmdline: null, disk: null,
    input: null, initrd: [], maxInstructions: DEFAULT_MAX_INSTRUCTIONS, trace: new Set(), json: false,
  };
  let program: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (name === '--help' || name === '-h') return { ok: false, message: '', help: true };
    if (name === '--json') { o.json = true; continue; }
    if (VALUE_OPTIONS.has(name)) {
      const v = inline ?? argv[++k];
      if (v === undefined) return { ok: false, message: `${name} needs a value` };
      switch (name) {
        case '--boot':
          if (!(BOOT_STATES as readonly string[]).includes(v)) return { ok: false, message: `--boot must be one of ${BOOT_STATES.join(', ')}, got ${v}` };
          o.boot = v as BootState;
          break;
        case '--load': {
          const n = parseNumber(v);
          if (Number.isNaN(n)) return { ok: false, message: `--load must be an address (a decimal or 0x-prefixed hex number), got ${v}` };
          o.load = n;
          break;
        }
        case '--entry': o.entry = v; break;
        case '--cpu': o.cpu = o.cpu === null ? v : `${o.cpu},${v}`; break;
        case '--device':
          if (!(OPTIONAL_DEVICES as readonly string[]).includes(v)) return { ok: false, message: `--device must be one of ${OPTIONAL_DEVICES.join(', ')}, got ${v}` };
          if (!o.devices.includes(v)) o.devices.push(v);
          break;
        case '--paging':
          if (v !== '4' && v !== '5') return { ok: false, message: `--paging must be 4 or 5, got ${v}` };
          o.paging = v === '4' ? 4 : 5;
          break;
        case '--memory': {
          const n = parseSize(v);
          if (Number.isNaN(n) || n < 2 ** 20) return { ok: false, message: `--memory must be a size of at least 1M (bytes, or with K, M, G, T: 256M, 5G), got ${v}` };
          o.memory = n;
          break;
        }
        case '--cmdline': o.cmdline = v; break;
        case '--disk': o.disk = v; break;
        case '--input': o.input = v; break;
        case '--initrd': o.initrd.push(v); break;
        case '--max-instructions': {
          const n = parseNumber(v);
          if (Number.isNaN(n) || n <= 0) return { ok: false, message: `--max-instructions must be a positive number, got ${v}` };
          o.maxInstructions = n;
          break;
        }
        case '--trace':
          for (const t of v.split(',').map((s) => s.trim()).filter(Boolean)) {
            if (!(TRACE_KINDS as readonly string[]).includes(t)) return { ok: false, message: `--trace takes a comma list of ${TRACE_KINDS.join(', ')}, got ${t}` };
            o.trace.add(t as TraceKind);
          }
          break;
      }
      continue;
    }
    if (a.startsWith('-') && a !== '-') return { ok: false, message: `unknown option '${a}'` };
    if (program !== undefined) return { ok: false, message: `unexpected argument '${a}': one program at a time` };
    program = a;
  }
  if (program === undefined) return { ok: false, message: 'no program given' };
  o.program = program;
  return { ok: true, options: o };
}
