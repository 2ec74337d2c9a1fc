// detect.ts: the kind of a program from its content (design.md "CLI": ELF magic, Linux bzImage with
// "HdrS" at 0x202, GAS source by extension, else raw) and the boot state it gets by default.
import { isElf } from './elf';
import { findMultibootHeader } from './multiboot';

export type ProgramKind = 'elf32' | 'elf64' | 'bzimage' | 'gas' | 'raw';
export const BOOT_STATES = ['reset', 'real', 'protected', 'multiboot', 'long', 'linux', 'linux32'] as const;
/** The states a program can be entered in (design.md "CLI", `--boot`). */
export type BootState = typeof BOOT_STATES[number];

export function detectKind(bytes: Uint8Array, fileName: string): ProgramKind {
  if (isElf(bytes) && bytes.length > 4) return bytes[4] === 2 ? 'elf64' : 'elf32';
  // Linux boot protocol (Documentation/x86/boot.rst): the setup header's "HdrS" signature at 0x202.
  if (bytes.length >= 0x206 && bytes[0x202] === 0x48 && bytes[0x203] === 0x64 && bytes[0x204] === 0x72 && bytes[0x205] === 0x53) return 'bzimage';
  if (/\.[sS]$/.test(fileName)) return 'gas';
  return 'raw';
}

/** bzImage → linux, ELF with a Multiboot header → multiboot, ELF64 → long, ELF32 → protected, else real. */
export function defaultBoot(bytes: Uint8Array, fileName: string): BootState {
  const kind = detectKind(bytes, fileName);
  if (kind === 'bzimage') return 'linux';
  if (kind === 'elf32' || kind === 'elf64') {
    if (findMultibootHeader(bytes)) return 'multiboot';
    return kind === 'elf64' ? 'long' : 'protected';
  }
  return 'real';
}
