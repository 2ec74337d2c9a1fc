// sourceFiles.ts: how the command line lets the assembler read #include/.include/.incbin files, never
// writing anything. The C preprocessor hands over paths already joined to the including file's folder
// (`examples/x/../common/console.S` for a relative program path): those are read as given, from the
// working directory; other names are tried beside the source.
import { readFileSync } from 'node:fs';
import path from 'node:path';

function firstReadable<T>(candidates: string[], read: (p: string) => T): T | null {
  for (const p of candidates) {
    try { return read(p); } catch { /* the next candidate */ }
  }
  return null;
}

export function sourceReaders(file: string): { readFile: (p: string) => string | null; readBinary: (p: string) => Uint8Array | null } {
  const dir = path.dirname(file);
  const candidates = (p: string): string[] => [path.resolve(p), path.resolve(dir, p)];
  return {
    readFile: (p) => firstReadable(candidates(p), (c) => readFileSync(c, 'utf8')),
    readBinary: (p) => firstReadable(candidates(p), (c) => readFileSync(c)),
  };
}
