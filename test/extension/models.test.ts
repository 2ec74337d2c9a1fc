// models.test.ts: the Page Tables and Mode Switches views' texts, shaped by extension/pageTableModel.ts and
// extension/modeSwitchModel.ts from the answers of a REAL adapter session running
// examples/lvl5-trampoline/lvl5.S (boot long at 0x1_0000_0000, 4-level paging, then its own switch to
// 5-level). Expected values come from the SDM (what one entry of each level maps) and from lvl5.S itself
// (the new top-level table at 0x7000 holding the old CR3, the lretq/lret lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { PageTableNodeJson } from '../../adapter/pageTables';
import { entryName, entryView, hex64, itemView, memoryUriParts, physicalPage, addressToCopy, type PageTableRootJson } from '../../extension/pageTableModel';
import { statusText, switchViews, type ModeHistoryJson } from '../../extension/modeSwitchModel';
import { translateLines } from '../../extension/translateModel';
import type { TranslateJson } from '../../adapter/pageTables';
import { example, launch, lineOf, startInProcess, stopped } from '../support/dap';

const LVL5 = example('lvl5-trampoline', 'lvl5.S');
const LVL5_ARGS = { program: LVL5, boot: 'long', load: '0x100000000', paging: 4, stopOnEntry: true };

/** Bytes one entry maps at each level: SDM Vol.3A §4.5, Tables 4-14 (PML5E: 256 TiB) to 4-20 (PTE: 4 KiB). */
const SPAN: Record<string, number> = { PML5E: 2 ** 48, PML4E: 2 ** 39, PDPTE: 2 ** 30, PDE: 2 ** 21, PTE: 2 ** 12 };

async function root(dc: DebugClient): Promise<PageTableRootJson> {
  return (await dc.customRequest('trampoline/pageTables')).body as PageTableRootJson;
}

async function childrenOf(dc: DebugClient, n: PageTableNodeJson): Promise<PageTableNodeJson[]> {
  return ((await dc.customRequest('trampoline/pageTables', { table: n.child })).body as { entries: PageTableNodeJson[] }).entries;
}

/** Checks one entry's label and description against its JSON and the SDM's span for its level. */
function checkEntry(n: PageTableNodeJson): void {
  const v = entryView(n);
  assert.equal(n.span, SPAN[n.level], `${n.level} maps ${SPAN[n.level]} bytes`);
  const first = BigInt(n.linear);
  const last = BigInt(n.linearEnd);
  assert.equal(last - first + 1n, BigInt(n.span) * BigInt(n.count));
  assert.match(v.label, /^(PML5E|PML4E|PDPTE|PDE|PTE)\[\d+(\.\.\d+\] ×\d+|\]) {2}0x[0-9a-f]{16}–0x[0-9a-f]{16}$/);
  assert.ok(v.label.endsWith(`  ${hex64(n.linear)}–${hex64(n.linearEnd)}`));
  if (n.count > 1) assert.ok(v.label.startsWith(`${n.level}[${n.index}..${n.index + n.count - 1}] ×${n.count}  `), v.label);
  if (n.flags.includes('P')) assert.equal(v.description.split('  ')[0], `→ ${n.physical}`);
  assert.match(v.tooltip, new RegExp(`at physical ${n.entryAddress}`));
  assert.match(v.tooltip, new RegExp(`value ${n.value}`));
  assert.equal(v.expandable, n.child !== null);
  assert.equal(v.contextValue, n.leaf ? 'pageTableEntry.leaf' : 'pageTableEntry');
}

test('extension models: the Page Tables view before and after lvl5.S switches to 5-level paging, down to a leaf', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, LVL5_ARGS, async () => { await dc.setExceptionBreakpointsRequest({ filters: ['modeSwitch', 'halt'] }); });
    assert.equal((await stopped(dc)).reason, 'entry');

    // Before: 4-level paging, the loader's tables; linear 0 is in PML4E[0], which maps 512 GiB (§4.5).
    const before = await root(dc);
    const rv = itemView({ kind: 'root', root: before });
    assert.equal(rv.label, '4-level paging');
    assert.equal(rv.description, `CR3 0x${BigInt(before.cr3).toString(16)}`);
    assert.equal(rv.expandable, true);
    const pml4e0 = before.entries[0];
    assert.equal(pml4e0.level, 'PML4E');
    assert.equal(entryView(pml4e0).label, 'PML4E[0]  0x0000000000000000–0x0000007fffffffff');
    assert.match(entryView(pml4e0).description, /^→ 0x[0-9a-f]+ {2}P RW/);
    for (const n of before.entries) checkEntry(n);
    // The root's physical page is the PML4 at CR3; Copy Address gives CR3.
    assert.equal(BigInt(physicalPage({ kind: 'root', root: before })!.physical), BigInt(before.cr3));
    assert.equal(BigInt(addressToCopy({ kind: 'root', root: before })!), BigInt(before.cr3));

    // Run through the four switches to the final hlt.
    for (let k = 0; k < 4; k++) { await dc.continueRequest({ threadId: 1 }); assert.equal((await stopped(dc)).reason, 'exception'); }
    await dc.continueRequest({ threadId: 1 });
    assert.equal((await stopped(dc)).description, 'halted');

    // After: lvl5.S loaded CR3 = LVL5_PGTABLE (0x7000) whose only entry is the old CR3 | 7 (P RW US).
    const after = await root(dc);
    const av = itemView({ kind: 'root', root: after });
    assert.equal(av.label, '5-level paging');
    assert.equal(av.description, 'CR3 0x7000');
    assert.equal(BigInt(after.cr3), 0x7000n);
    // The rest of the page at 0x7000 is not zero: the trampoline's copy at 0x7c00 shares it, so its code
    // bytes read as PML5Es from index (0x7c00 - 0x7000) / 8 = 384 on, as the CPU would read them.
    assert.equal(after.entries[0].index, 0);
    for (const e of after.entries.slice(1)) assert.ok(e.index >= 384, `PML5E[${e.index}] lies in the trampoline copy`);
    const pml5e0 = after.entries[0];
    assert.equal(entryView(pml5e0).label, 'PML5E[0]  0x0000000000000000–0x0000ffffffffffff');
    assert.equal(BigInt(pml5e0.physical), BigInt(before.cr3));
    assert.match(entryView(pml5e0).description, new RegExp(`^→ ${pml5e0.physical}  P RW US( |$)`));
    assert.equal(BigInt(pml5e0.entryAddress), 0x7000n);

    // Expand through `child` down to a leaf: PML5E → PML4E → ... every level in the SDM's order.
    const order = ['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'];
    let node = pml5e0;
    const path = [node.level];
    let folded: PageTableNodeJson | null = null;
    while (node.child !== null) {
      const kids = await childrenOf(dc, node);
      assert.ok(kids.length > 0);
      for (const kid of kids) {
        checkEntry(kid);
        assert.equal(kid.level, order[order.indexOf(node.level) + 1], 'one level further down');
        // Children cover the parent's linear range from its start.
        assert.ok(BigInt(kid.linear) >= BigInt(node.linear) && BigInt(kid.linearEnd) <= BigInt(node.linearEnd));
        if (kid.count > 1 && folded === null) folded = kid;
      }
      assert.equal(BigInt(kids[0].linear), BigInt(node.linear));
      node = kids[0];
      path.push(node.level);
    }
    assert.equal(node.leaf, true);
    assert.deepEqual(path.slice(0, 2), ['PML5E', 'PML4E']);
    assert.ok(path.length >= 3, `reached a leaf at ${path.join(' → ')}`);
    const leafView = entryView(node);
    assert.equal(leafView.contextValue, 'pageTableEntry.leaf');
    assert.match(leafView.description, new RegExp(`\\(${node.pageSize} pages?\\)$`));
    // A leaf's frame is the physical page to open; Copy Address gives its first linear address.
    assert.equal(physicalPage({ kind: 'entry', node })!.physical, node.physical);
    assert.equal(addressToCopy({ kind: 'entry', node }), hex64(node.linear));
    // An identity map folds runs of same-flag contiguous entries: labelled with their count.
    assert.notEqual(folded, null, 'an identity map has a folded run');
    assert.equal(entryName(folded!), `${folded!.level}[${folded!.index}..${folded!.index + folded!.count - 1}] ×${folded!.count}`);

    // The memory view URI VS Code's debug memory file system reads: phys: reference, a page long.
    const uri = memoryUriParts('session-1', node.physical, 4096);
    assert.equal(uri.scheme, 'vscode-debug-memory');
    assert.equal(decodeURIComponent(uri.path.split('/')[1]), `phys:${node.physical}`);
    assert.equal(uri.query, 'range=0:4096');
  } finally {
    await close();
  }
});

test('extension models: Mode Switches rows and the status bar for lvl5.S, each row on its source line', async () => {
  const { dc, close } = await startInProcess();
  try {
    await launch(dc, LVL5_ARGS, async () => { await dc.setExceptionBreakpointsRequest({ filters: ['halt'] }); });
    assert.equal((await stopped(dc)).reason, 'entry');
    const start = (await dc.customRequest('trampoline/modeHistory')).body as ModeHistoryJson;
    assert.deepEqual(switchViews(start), []);
    assert.equal(statusText(start), 'long64 · 4-level · CPL0');
    await dc.continueRequest({ threadId: 1 });
    assert.equal((await stopped(dc)).description, 'halted');
    const h = (await dc.customRequest('trampoline/modeHistory')).body as ModeHistoryJson;
    const rows = switchViews(h);
    // SDM Vol.3A §10.8.5 (leaving and re-entering IA-32e mode) and §4.5 (LA57 needs CR0.PG with PAE).
    assert.deepEqual(rows.map((r) => r.label), [
      '#1 long64 · 4-level → compat32 · 4-level',
      '#2 compat32 · 4-level → protected32 · none',
      '#3 protected32 · none → compat32 · 5-level',
      '#4 compat32 · 5-level → long64 · 5-level',
    ]);
    const viaAt = ['lretq at startup_64+0x83', 'mov at lvl5_trampoline+0x10', 'mov at lvl5_trampoline+0x33', 'lretl at lvl5_trampoline+0x36'];
    let last = 0;
    for (let k = 0; k < 4; k++) {
      const insn = h.switches[k].instruction;
      assert.ok(insn > last, 'instruction counts grow');
      last = insn;
      assert.equal(rows[k].description, `${viaAt[k]} (insn ${insn})`);
      assert.equal(rows[k].address, h.switches[k].address);
    }
    assert.ok(h.current.instruction > last);
    // Selecting a row opens the switching instruction's line in lvl5.S.
    const text = readFileSync(LVL5, 'utf8');
    assert.deepEqual(rows[0].location, { path: LVL5, line: lineOf(text, 'lretq') });
    assert.match(text.split('\n')[rows[3].location!.line - 1], /^\s*lret\b/);
    assert.match(text.split('\n')[rows[1].location!.line - 1], /%cr0/);
    assert.equal(statusText(h), 'long64 · 5-level · CPL0');

    // Translate: lvl5.S runs at 0x1_0000_0000, identity-mapped: five levels, then the same physical address.
    const t = (await dc.customRequest('trampoline/translate', { address: '0x100000000' })).body as TranslateJson;
    const lines = translateLines(t);
    const n = t.levels.length;
    assert.deepEqual(lines.slice(0, n).map((l) => l.label.replace(/\[\d+\]$/, '')), ['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'].slice(0, n));
    // Linear 0x1_0000_0000: PML5 index 0, PML4 index 0, PDPT index 4 (bits 38:30), §4.5 Figure 4-8/4-9.
    assert.deepEqual(lines.slice(0, 3).map((l) => l.label), ['PML5E[0]', 'PML4E[0]', 'PDPTE[4]']);
    assert.equal(lines[lines.length - 1].label, '0x100000000 → 0x100000000');
    const unmapped = (await dc.customRequest('trampoline/translate', { address: '0x8000000000000' })).body as TranslateJson;
    assert.match(translateLines(unmapped).at(-1)!.label, /→ #PF$/);
  } finally {
    await close();
  }
});
