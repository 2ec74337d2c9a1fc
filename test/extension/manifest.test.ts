// manifest.test.ts: package.json's contributions hang together with extension/ — every contributed command
// is registered by activate.ts and titled "Trampoline: …" in the palette, every menu names a contributed
// command, both views sit in Run and Debug for trampoline sessions, and the files the manifest points at exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/oracle286';

const root = repoRoot();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const c = pkg.contributes;

test('manifest: commands are registered by activate.ts and shown as "Trampoline: …"; menus name only them', () => {
  const activate = readFileSync(path.join(root, 'extension', 'activate.ts'), 'utf8');
  const registered = [...activate.matchAll(/registerCommand\('([\w.]+)'/g)].map((m) => m[1]).sort();
  const contributed = c.commands.map((x: { command: string }) => x.command).sort();
  assert.deepEqual(contributed, registered);
  const titles = c.commands.map((x: { category: string; title: string }) => `${x.category}: ${x.title}`);
  assert.deepEqual(titles.sort(), [
    'Trampoline: Copy Address', 'Trampoline: Open Physical Page in Memory View', 'Trampoline: Refresh Page Tables',
    'Trampoline: Start Debugging Current File', 'Trampoline: Translate Address…',
  ]);
  for (const [where, items] of Object.entries(c.menus as Record<string, { command: string }[]>)) {
    for (const m of items) assert.ok(contributed.includes(m.command), `${where}: ${m.command}`);
  }
});

test('manifest: the views, the language, the grammar, the engine and the untrusted-workspace declaration', () => {
  assert.deepEqual(c.views.debug.map((v: { id: string; name: string; when: string }) => [v.id, v.name, v.when]), [
    ['trampoline.pageTables', 'Page Tables', 'debugType == trampoline'],
    ['trampoline.modeSwitches', 'Mode Switches', 'debugType == trampoline'],
  ]);
  const activate = readFileSync(path.join(root, 'extension', 'activate.ts'), 'utf8');
  for (const v of c.views.debug) assert.ok(activate.includes(`createTreeView('${v.id}'`), v.id);
  assert.deepEqual(c.languages[0].extensions, ['.S', '.s', '.sx']);
  assert.ok(existsSync(path.join(root, c.languages[0].configuration)));
  assert.equal(c.grammars[0].scopeName, 'source.gas');
  assert.equal(JSON.parse(readFileSync(path.join(root, c.grammars[0].path), 'utf8')).scopeName, 'source.gas');
  assert.equal(pkg.engines.vscode, '^1.91.0');
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  for (const e of ['onDebugResolve:trampoline', 'onLanguage:gas']) assert.ok(pkg.activationEvents.includes(e), e);
  assert.deepEqual(Object.keys(c.configuration.properties).sort(), ['trampoline.adapter.runAs', 'trampoline.server.enabled']);
  assert.deepEqual(c.configuration.properties['trampoline.adapter.runAs'].enum, ['inline', 'process']);
  assert.equal(c.configuration.properties['trampoline.adapter.runAs'].default, 'inline');
});
