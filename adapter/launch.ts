// launch.ts: the `trampoline` debug type's launch attributes (design.md "Debug adapter": the options of
// `trampoline run` plus assembler, include paths, defines, a symbol file and copy ranges), checked one by one
// so that a wrong setting gets a message naming the attribute, the value and what is accepted.
import { BOOT_STATES, type BootState } from '../emulator/loaders/detect';
import { parseNumber, parseSize } from '../emulator/loaders/boot';
import { OPTIONAL_DEVICES } from '../emulator/devices/optionalDevices';

export const DEVICES = OPTIONAL_DEVICES;

/** A copy range as the launch attribute gives it: labels or addresses. */
export interface CopySetting {
  start: string;
  end: string;
  runtime: string;
}

export interface LaunchConfig {
  program: string;
  boot: BootState | null;
  load: number | null;
  entry: string | null;
  cpu: string | null;
  devices: string[];
  paging: 4 | 5;
  memory: number | null;
  cmdline: string | null;
  initrd: string[];
  disk: string | null;
  /** Bytes for the serial receiver and int 16h (TEXT or @FILE, as the CLI takes it). */
  input: string | null;
  stopOnEntry: boolean;
  assembler: 'builtin' | 'gnu';
  includePaths: string[];
  defines: Record<string, string>;
  /** `nm` output or a System.map for a raw image. */
  symbols: string | null;
  copies: CopySetting[];
  /** Working folder relative paths are resolved against (default: the program's folder). */
  cwd: string | null;
  /** Linux: stop at the decompressor's jump into the decompressed kernel. */
  stopAtKernelEntry: boolean;
}

const KNOWN = new Set([
  'program', 'boot', 'load', 'entry', 'cpu', 'device', 'paging', 'memory', 'cmdline', 'initrd', 'disk', 'input',
  'stopOnEntry', 'assembler', 'includePaths', 'defines', 'symbols', 'copies', 'cwd', 'stopAtKernelEntry',
  // set by VS Code itself
  'type', 'request', 'name', '__sessionId', '__configurationTarget', 'noDebug', '__restart', 'presentation',
  'preLaunchTask', 'postDebugTask', 'internalConsoleOptions', 'debugServer', 'suppressMultipleSessionWarning',
  'console', 'serverReadyAction', '__parentId',
]);

export class LaunchError extends Error {}

function fail(attribute: string, detail: string): never {
  throw new LaunchError(`launch.json: "${attribute}" ${detail}`);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function str(args: Record<string, unknown>, name: string): string | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(name, `must be a string, got ${show(v)}`);
  return v;
}

function strList(args: Record<string, unknown>, name: string): string[] {
  const v = args[name];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(name, `must be a string or a list of strings, got ${show(v)}`);
  return v as string[];
}

/** A number or a string holding one (`"0x100000000"`, `"1_048_576"`). */
function address(args: Record<string, unknown>, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? v : NaN) : typeof v === 'string' ? parseNumber(v) : NaN;
  if (Number.isNaN(n)) fail(name, `must be an address (a number, or a string such as "0x7c00"), got ${show(v)}`);
  if (n >= 2 ** 52) fail(name, `must be below 2^52 (the physical address width), got ${show(v)}`);
  return n;
}

function bool(args: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(name, `must be true or false, got ${show(v)}`);
  return v;
}

function oneOf<T extends string>(args: Record<string, unknown>, name: string, accepted: readonly T[]): T | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !accepted.includes(v as T)) fail(name, `must be one of ${accepted.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
  return v as T;
}

/** Checks every attribute; throws LaunchError naming the first bad one. */
export function parseLaunch(raw: unknown): LaunchConfig {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LaunchError('launch.json: the launch configuration must be an object');
  const args = raw as Record<string, unknown>;
  for (const k of Object.keys(args)) {
    if (!KNOWN.has(k)) {
      const near = [...KNOWN].find((n) => n.toLowerCase() === k.toLowerCase());
      throw new LaunchError(`launch.json: unknown attribute "${k}"${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  const program = str(args, 'program');
  if (program === null || program.trim() === '') fail('program', 'is required: the .S file, ELF, bzImage or raw image to debug');

  const pagingRaw = args.paging;
  let paging: 4 | 5 = 4;
  if (pagingRaw !== undefined && pagingRaw !== null) {
    const p = typeof pagingRaw === 'string' ? Number(pagingRaw) : pagingRaw;
    if (p !== 4 && p !== 5) fail('paging', `must be 4 or 5, got ${show(pagingRaw)}`);
    paging = p;
  }

  let memory: number | null = null;
  if (args.memory !== undefined && args.memory !== null) {
    const m = args.memory;
    memory = typeof m === 'number' ? m : typeof m === 'string' ? parseSize(m) : NaN;
    if (!Number.isSafeInteger(memory) || memory < 2 ** 20) fail('memory', `must be a size of at least 1M such as "256M" or "4G", got ${show(m)}`);
    if (memory > 2 ** 46) fail('memory', `must be at most 64T, got ${show(m)}`);
  }

  const entryRaw = args.entry;
  let entry: string | null = null;
  if (entryRaw !== undefined && entryRaw !== null) {
    if (typeof entryRaw === 'number' && Number.isSafeInteger(entryRaw) && entryRaw >= 0) entry = String(entryRaw);
    else if (typeof entryRaw === 'string' && entryRaw.trim() !== '') entry = entryRaw.trim();
    else fail('entry', `must be a label or an address, got ${show(entryRaw)}`);
  }

  const devices = strList(args, 'device');
  for (const d of devices) if (!(DEVICES as readonly string[]).includes(d)) fail('device', `must name a known device (${DEVICES.map((x) => `"${x}"`).join(', ')}), got ${show(d)}`);

  const definesRaw = args.defines;
  const defines: Record<string, string> = {};
  if (definesRaw !== undefined && definesRaw !== null) {
    if (Array.isArray(definesRaw)) {
      for (const d of definesRaw) {
        if (typeof d !== 'string' || !/^[A-Za-z_]\w*(=.*)?$/.test(d)) fail('defines', `entries must be "NAME" or "NAME=VALUE", got ${show(d)}`);
        const eq = d.indexOf('=');
        defines[eq < 0 ? d : d.slice(0, eq)] = eq < 0 ? '' : d.slice(eq + 1);
      }
    } else if (typeof definesRaw === 'object') {
      for (const [k, v] of Object.entries(definesRaw as Record<string, unknown>)) {
        if (!/^[A-Za-z_]\w*$/.test(k)) fail('defines', `has a bad macro name ${show(k)}`);
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail('defines', `value of ${k} must be a string or a number, got ${show(v)}`);
        defines[k] = v === true ? '' : String(v);
      }
    } else fail('defines', `must be an object {"NAME": "value"} or a list ["NAME=value"], got ${show(definesRaw)}`);
  }

  const copiesRaw = args.copies;
  const copies: CopySetting[] = [];
  if (copiesRaw !== undefined && copiesRaw !== null) {
    if (!Array.isArray(copiesRaw)) fail('copies', `must be a list of {"start", "end", "runtime"}, got ${show(copiesRaw)}`);
    for (const c of copiesRaw) {
      const o = c as Record<string, unknown>;
      const ok = typeof c === 'object' && c !== null && ['start', 'end', 'runtime'].every((k) => typeof o[k] === 'string' || typeof o[k] === 'number');
      if (!ok) fail('copies', `entries need "start", "end" and "runtime" (labels or addresses), got ${show(c)}`);
      copies.push({ start: String(o.start), end: String(o.end), runtime: String(o.runtime) });
    }
  }

  const cpu = str(args, 'cpu');
  const boot = oneOf(args, 'boot', BOOT_STATES);
  return {
    program,
    boot,
    load: address(args, 'load'),
    entry,
    cpu,
    devices,
    paging,
    memory,
    cmdline: str(args, 'cmdline'),
    initrd: strList(args, 'initrd'),
    disk: str(args, 'disk'),
    input: str(args, 'input'),
    stopOnEntry: bool(args, 'stopOnEntry', false),
    assembler: oneOf(args, 'assembler', ['builtin', 'gnu'] as const) ?? 'builtin',
    includePaths: strList(args, 'includePaths'),
    defines,
    symbols: str(args, 'symbols'),
    copies,
    cwd: str(args, 'cwd'),
    stopAtKernelEntry: bool(args, 'stopAtKernelEntry', false),
  };
}
