// statusBar.ts: "long64 · 5-level · CPL0" in the status bar while a Trampoline session is stopped, from
// `trampoline/modeHistory`'s `current`; hidden otherwise.
import * as vscode from 'vscode';
import { statusText, statusTooltip, type ModeHistoryJson } from './modeSwitchModel';

export class ModeStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('trampoline.mode', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Trampoline CPU mode';
  }

  async update(session: vscode.DebugSession | undefined): Promise<void> {
    if (session === undefined || session.type !== 'trampoline') {
      this.item.hide();
      return;
    }
    try {
      const h = (await session.customRequest('trampoline/modeHistory')) as ModeHistoryJson;
      this.item.text = `$(chip) ${statusText(h)}`;
      this.item.tooltip = statusTooltip(h);
      this.item.show();
    } catch {
      this.item.hide(); // running, or not launched yet
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
