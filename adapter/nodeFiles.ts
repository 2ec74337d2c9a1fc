// nodeFiles.ts: ProgramFiles on the local file system (node:fs), read-only — for `trampoline dap` and the
// extension host.
import { readFileSync, statSync } from 'node:fs';
import type { ProgramFiles } from './program';

/** Larger files are refused rather than read (a guest RAM image is at most this big anyway). */
const MAX_FILE = 1 << 30;

export const nodeFiles: ProgramFiles = {
  read(file: string): Uint8Array {
    let size: number;
    try {
      const st = statSync(file);
      if (st.isDirectory()) throw new Error('is a folder, not a file');
      size = st.size;
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message, { cause: e });
    }
    if (size > MAX_FILE) throw new Error(`is ${size} bytes, larger than the 1 GiB accepted`);
    return readFileSync(file);
  },
};
