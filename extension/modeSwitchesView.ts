// modeSwitchesView.ts: the "Mode Switches" view — one row per switch in `trampoline/modeHistory`;
// selecting a row opens its source line. Row texts come from modeSwitchModel.ts.
import * as vscode from 'vscode';
import { switchViews, type ModeHistoryJson, type SwitchView } from './modeSwitchModel';
import { trampolineSession } from './stopEvents';

export class ModeSwitchesView implements vscode.TreeDataProvider<SwitchView> {
  private readonly changed = new vscode.EventEmitter<SwitchView | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(v: SwitchView): vscode.TreeItem {
    const t = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
    t.description = v.description;
    t.tooltip = v.tooltip;
    t.contextValue = 'modeSwitch';
    if (v.location !== null) {
      const at = new vscode.Position(v.location.line - 1, 0);
      t.command = { command: 'vscode.open', title: 'Show source line', arguments: [vscode.Uri.file(v.location.path), { selection: new vscode.Range(at, at), preserveFocus: true }] };
    }
    return t;
  }

  async getChildren(v?: SwitchView): Promise<SwitchView[]> {
    const session = trampolineSession();
    if (v !== undefined || session === undefined) return [];
    try {
      return switchViews((await session.customRequest('trampoline/modeHistory')) as ModeHistoryJson);
    } catch {
      return [];
    }
  }
}
