// layers.test.ts: dependencies point one way (style.md §1, design.md "Architecture"):
//   extension/ → adapter/ → emulator/ ← assembler/ (the instruction table and its decoder only)
//   server/ → assembler/        cli/ → any of them
// and emulator/ stays free of Node modules so it can run in a web worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const SOURCES = ['emulator', 'assembler', 'adapter', 'server', 'extension', 'cli'];

/** What each top folder may import from the others. */
const ALLOWED: Record<string, (target: string) => boolean> = {
  emulator: (t) => t.startsWith('emulator/'),
  // The disassembler decodes with the emulator's decoder (one decoder, one table): emulator/isa plus
  // the decoder and the Insn it fills, CPU features (CPUID-gated forms) and the code-size enum.
  assembler: (t) => t.startsWith('assembler/') || t.startsWith('emulator/isa/') ||
    ['emulator/cpu/decode', 'emulator/cpu/insn', 'emulator/cpu/features', 'emulator/cpu/state'].includes(t),
  adapter: (t) => t.startsWith('adapter/') || t.startsWith('emulator/') || t.startsWith('assembler/'),
  server: (t) => t.startsWith('server/') || t.startsWith('assembler/'),
  // The extension runs the debug adapter inline (DebugAdapterInlineImplementation): it imports adapter/.
  extension: (t) => t.startsWith('extension/') || t.startsWith('adapter/'),
  cli: () => true,
};

function* files(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (name.endsWith('.ts')) yield p;
  }
}

test('imports between the top folders point one way', () => {
  const bad: string[] = [];
  for (const top of SOURCES) {
    for (const file of files(path.join(root, top))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
        const spec = m[1];
        if (!spec.startsWith('.')) {
          if (top === 'emulator') bad.push(`${path.relative(root, file)} imports the package "${spec}" (the emulator is Node-free)`);
          continue;
        }
        const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
        if (!ALLOWED[top](target)) bad.push(`${path.relative(root, file)} imports ${target}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
