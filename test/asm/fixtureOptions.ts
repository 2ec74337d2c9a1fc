// test/asm/fixtureOptions.ts: the options the fixtures are assembled with, by us and by the GNU tools alike:
// cpp includes from fixtures/inc, GAS .include's search path fixtures/inc/path, two -D definitions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AssembleOptions } from '../../assembler/index';

export const FIXTURES = join(__dirname, 'fixtures');

export const FIXTURE_DEFINES: Record<string, string> = { FROM_CMDLINE: '42', FLAG: '' };

export function fixtureOptions(name: string): AssembleOptions {
  const path = (p: string): string => join(FIXTURES, p);
  return {
    file: name,
    readFile: (p) => (existsSync(path(p)) ? readFileSync(path(p), 'latin1') : null),
    readBinary: (p) => (existsSync(path(p)) ? new Uint8Array(readFileSync(path(p))) : null),
    includePaths: name.endsWith('.S') ? ['inc'] : ['inc/path'],
    defines: FIXTURE_DEFINES,
  };
}

/** The same options for gcc -c (a .S) or as (a .s). */
export function toolArgs(name: string): string[] {
  return name.endsWith('.S') ? ['-Iinc', '-DFROM_CMDLINE=42', '-DFLAG'] : ['-Iinc/path'];
}
