// pageTablesView.ts: the "Page Tables" view in Run and Debug — the paging root (mode, CR3), then each
// table's entries fetched when a node is expanded (`trampoline/pageTables` with the node's `child`).
// Labels, descriptions and tooltips come from pageTableModel.ts.
import * as vscode from 'vscode';
import type { PageTableNodeJson } from '../adapter/pageTables';
import { itemView, type PageTableItem, type PageTableRootJson } from './pageTableModel';
import { trampolineSession } from './stopEvents';

export class PageTablesView implements vscode.TreeDataProvider<PageTableItem> {
  private readonly changed = new vscode.EventEmitter<PageTableItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(item: PageTableItem): vscode.TreeItem {
    const v = itemView(item);
    const t = new vscode.TreeItem(v.label, !v.expandable ? vscode.TreeItemCollapsibleState.None
      : item.kind === 'root' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    t.description = v.description;
    t.tooltip = v.tooltip;
    t.contextValue = v.contextValue;
    return t;
  }

  async getChildren(item?: PageTableItem): Promise<PageTableItem[]> {
    const session = trampolineSession();
    if (session === undefined) return [];
    try {
      if (item === undefined) {
        const root = (await session.customRequest('trampoline/pageTables')) as PageTableRootJson;
        return [{ kind: 'root', root }];
      }
      if (item.kind === 'root') return item.root.entries.map((node) => ({ kind: 'entry', node }));
      if (item.kind === 'entry' && item.node.child !== null) {
        const r = (await session.customRequest('trampoline/pageTables', { table: item.node.child })) as { entries: PageTableNodeJson[] };
        return r.entries.map((node) => ({ kind: 'entry', node }));
      }
      return [];
    } catch (e) {
      // Asked while the program runs, or before launch finished: say so instead of an empty view.
      return [{ kind: 'message', text: e instanceof Error ? e.message : String(e) }];
    }
  }
}
