// config.test.ts: the configuration F5 builds without a launch.json (extension/configModel.ts) for each
// example, the gaps resolveDebugConfiguration fills, the untrusted-workspace refusal, and package.json's
// launch schema against the attributes adapter/launch.ts accepts — both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLaunch, LaunchError } from '../../adapter/launch';
import { bootFromSource, configForFile, resolveConfig, UNTRUSTED_MESSAGE } from '../../extension/configModel';
import { example } from '../support/dap';
import { repoRoot } from '../support/oracle286';

const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8'));
const debuggerContribution = pkg.contributes.debuggers.find((d: { type: string }) => d.type === 'trampoline');
const schema = debuggerContribution.configurationAttributes.launch as { required: string[]; properties: Record<string, Record<string, unknown>> };

// What each example's README runs it as (--boot ...): the first .codeNN of its source decides.
const EXAMPLES: [string, string, string][] = [
  ['real-to-long', 'real2long.S', 'real'],
  ['lvl5-trampoline', 'lvl5.S', 'long'],
  ['lvl5-to-lvl4', 'lvl5to4.S', 'long'],
  ['la57-gp', 'la57gp.S', 'long'],
  ['demo64', 'demo64.S', 'long'],
];

test('config model: the boot state of each example follows its first .codeNN, as its README runs it', () => {
  for (const [folder, file, boot] of EXAMPLES) {
    const program = example(folder, file);
    const c = configForFile(program, readFileSync(program, 'utf8'));
    assert.equal(c.boot, boot, file);
    assert.equal(c.program, program);
    assert.equal(c.stopOnEntry, true);
    assert.equal(c.type, 'trampoline');
    if (boot === 'long') { assert.equal(c.load, '0x100000'); assert.equal(c.paging, 4); }
    assert.doesNotThrow(() => parseLaunch(c), `${file}: the adapter accepts it`);
  }
});

test('config model: .code32 → protected; comments, labels and cpp lines do not count; none → the adapter decides', () => {
  assert.deepEqual(bootFromSource('\t.text\n\t.code32\nstart: movl $1, %eax\n'), { boot: 'protected' });
  assert.deepEqual(bootFromSource('/* .code64 in a comment */\n# .code64 too\n_start: .code16\n'), { boot: 'real' });
  assert.deepEqual(bootFromSource('#define X 1\n\t// .code32\n\t.code64\n'), { boot: 'long', load: '0x100000', paging: 4 });
  assert.equal(bootFromSource('\tmovl $1, %eax\n\t.ascii ".code16"\n'), null);
  assert.equal(configForFile('/x/a.S', 'nop\n').boot, undefined);
});

test('config model: F5 without launch.json, a missing program, and untrusted workspaces', () => {
  const program = example('real-to-long', 'real2long.S');
  const active = { path: program, languageId: 'gas', text: readFileSync(program, 'utf8') };
  // No launch.json: VS Code passes an empty configuration.
  const f5 = resolveConfig({}, active, true);
  assert.ok('config' in f5);
  assert.equal(f5.config.boot, 'real');
  assert.equal(f5.config.program, program);
  // A configuration without program takes the active .S file (and its boot state when none is given).
  const filled = resolveConfig({ type: 'trampoline', request: 'launch', name: 'x', stopOnEntry: false }, active, true);
  assert.ok('config' in filled);
  assert.equal(filled.config.program, program);
  assert.equal(filled.config.boot, 'real');
  assert.equal(filled.config.stopOnEntry, false);
  const kept = resolveConfig({ type: 'trampoline', request: 'launch', name: 'x', boot: 'long' }, active, true);
  assert.ok('config' in kept && kept.config.boot === 'long');
  // Nothing to debug: a message, not a crash.
  const none = resolveConfig({}, { path: '/x/readme.md', languageId: 'markdown', text: '' }, true);
  assert.ok('error' in none && /open a \.S file/.test(none.error));
  const noProgram = resolveConfig({ type: 'trampoline', request: 'launch', name: 'x' }, null, true);
  assert.ok('error' in noProgram && /"program" is missing/.test(noProgram.error));
  // Untrusted: refused whatever the configuration.
  assert.deepEqual(resolveConfig({}, active, false), { error: UNTRUSTED_MESSAGE });
  assert.deepEqual(resolveConfig({ type: 'trampoline', request: 'launch', name: 'x', program }, active, false), { error: UNTRUSTED_MESSAGE });
});

/** The attribute names launch.ts's KNOWN set lists before the ones VS Code itself sets, read from its source. */
function launchTsAttributes(): string[] {
  const src = readFileSync(path.join(repoRoot(), 'adapter', 'launch.ts'), 'utf8');
  const m = /const KNOWN = new Set\(\[([\s\S]*?)\/\/ set by VS Code itself/.exec(src);
  assert.ok(m, 'adapter/launch.ts has its KNOWN set');
  return [...m[1].matchAll(/'([A-Za-z_]+)'/g)].map((x) => x[1]);
}

/** A value the schema describes for an attribute: its default, first enum value or example, else one of its type. */
function sampleOf(name: string, p: Record<string, unknown>): unknown {
  if (p.default !== undefined && p.default !== '${file}') return p.default;
  if (Array.isArray(p.enum)) return p.enum[0];
  if (Array.isArray(p.anyOf)) return sampleOf(name, p.anyOf[0] as Record<string, unknown>);
  if (Array.isArray(p.examples)) return p.examples[0];
  const type = Array.isArray(p.type) ? p.type[0] : p.type;
  return type === 'string' ? (name === 'memory' ? '256M' : 'x') : type === 'number' ? 0x7c00 : type === 'boolean' ? true : type === 'array' ? [] : {};
}

test('package.json: the launch schema lists exactly the attributes adapter/launch.ts accepts, with values it accepts', () => {
  const known = launchTsAttributes();
  assert.ok(known.length >= 20, `read ${known.length} attributes`);
  const described = Object.keys(schema.properties);
  assert.deepEqual([...described].sort(), [...known].sort());
  assert.deepEqual(schema.required, ['program']);
  for (const name of described) {
    const p = schema.properties[name];
    assert.equal(typeof p.description, 'string', `${name} has a description`);
    const value = sampleOf(name, p);
    assert.doesNotThrow(() => parseLaunch({ program: 'boot.S', [name]: value }), `${name}: ${JSON.stringify(value)}`);
    // Every enum value the schema offers is one the adapter takes.
    for (const v of (p.enum as unknown[] | undefined) ?? []) assert.doesNotThrow(() => parseLaunch({ program: 'boot.S', [name]: v }), `${name}: ${JSON.stringify(v)}`);
  }
  // Nothing else slips through: an attribute outside the schema is refused by name.
  assert.throws(() => parseLaunch({ program: 'boot.S', stopOnentry: true }), (e: unknown) => e instanceof LaunchError && /did you mean "stopOnEntry"/.test(e.message));
  // The boot enum is launch.ts's, in order.
  assert.deepEqual(schema.properties.boot.enum, ['reset', 'real', 'protected', 'multiboot', 'long', 'linux', 'linux32']);
  assert.deepEqual(schema.properties.assembler.enum, ['builtin', 'gnu']);
});

test('package.json: the configuration snippets and initial configuration are accepted by the adapter', () => {
  const labels = debuggerContribution.configurationSnippets.map((s: { label: string }) => s.label);
  for (const want of ['boot sector in real mode', '.S program in long mode', 'Multiboot kernel', 'Linux bzImage', 'ELF kernel']) {
    assert.ok(labels.some((l: string) => l.endsWith(want)), want);
  }
  for (const s of debuggerContribution.configurationSnippets) {
    // Snippet bodies quote variables as ^"\${...}": substitute a path as VS Code would after insertion.
    const body = JSON.parse(JSON.stringify(s.body).replace(/\^\\"\\\\\$\{workspaceFolder\}([^"\\]*)\\"/g, '/w$1'));
    assert.doesNotThrow(() => parseLaunch(body), s.label);
    assert.match(String(body.program), /^\/w\//, s.label);
  }
  for (const c of debuggerContribution.initialConfigurations) assert.doesNotThrow(() => parseLaunch({ ...c, program: 'boot.S' }));
});
