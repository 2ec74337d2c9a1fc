// sourceFiles.ts: how the command line lets the assembler read #include/.include/.incbin files —
// relative to the including source's folder, never writing anything.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function sourceReaders(file: string): { readFile: (p: string) => string | null; readBinary: (p: string) => Uint8Array | null } {
  const dir = path.dirname(file);
  return {
    readFile: (p) => { try { return readFileSync(path.resolve(dir, p), 'utf8'); } catch { return null; } },
    readBinary: (p) => { try { return readFileSync(path.resolve(dir, p)); } catch { return null; } },
  };
}
