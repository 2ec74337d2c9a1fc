// workspace.ts: assembly files of the workspace folders that are not open, analyzed on demand for
// workspace/symbol (LSP 3.17) and kept until their modification time changes. The walk is bounded
// (folders skipped, file count, depth) so a large workspace cannot stall the server.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CancellationToken } from 'vscode-languageserver';
import { Analysis, analyze, normPath } from '../assembler/analysis';
import { Documents } from './documents';

const SKIP = new Set(['node_modules', '.git', 'dist', '.vscode-test']);
const MAX_FILES = 300;
const MAX_DEPTH = 8;
const MAX_BYTES = 1 << 20;

const cache = new Map<string, { mtime: number; analysis: Analysis }>();

function walk(dir: string, depth: number, out: string[]): void {
  if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch (_) { return; }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (!SKIP.has(e.name) && !e.name.startsWith('out')) walk(p, depth + 1, out); }
    else if (e.isFile() && /\.(S|s|asm)$/.test(e.name)) out.push(p);
  }
}

/** Analyses of the workspace's assembly files not in `skip` (files already seen through open documents). */
export function workspaceAnalyses(roots: string[], skip: Set<string>, docs: Documents, token?: CancellationToken): Analysis[] {
  const files: string[] = [];
  for (const r of roots) walk(r, 0, files);
  const out: Analysis[] = [];
  for (const f of files) {
    if (token?.isCancellationRequested) break;
    const file = normPath(f);
    if (skip.has(file)) continue;
    try {
      const st = statSync(file);
      if (st.size > MAX_BYTES) continue;
      const c = cache.get(file);
      if (c && c.mtime === st.mtimeMs) { out.push(c.analysis); continue; }
      const analysis = analyze(readFileSync(file, 'utf8'), { file, readFile: docs.readFile, readBinary: docs.readBinary, includePaths: docs.includePaths, defines: docs.defines });
      cache.set(file, { mtime: st.mtimeMs, analysis });
      out.push(analysis);
    } catch (_) {
      // An unreadable file has no symbols.
    }
  }
  return out;
}
