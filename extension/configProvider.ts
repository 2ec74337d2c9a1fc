// configProvider.ts: F5 without a launch.json on a .S file, and "program" filled from the active editor
// (configModel.ts decides); refuses in an untrusted workspace with a message.
import * as vscode from 'vscode';
import { configForFile, resolveConfig, type ActiveFile, type DebugConfig } from './configModel';

function activeFile(): ActiveFile | null {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc === undefined || doc.uri.scheme !== 'file') return null;
  return { path: doc.uri.fsPath, languageId: doc.languageId, text: doc.getText() };
}

export class ConfigProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.ProviderResult<vscode.DebugConfiguration[]> {
    const active = activeFile();
    if (active === null) return [{ type: 'trampoline', request: 'launch', name: 'Trampoline: debug the current file', program: '${file}', stopOnEntry: true }];
    return [configForFile(active.path, active.text) as vscode.DebugConfiguration];
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    const r = resolveConfig(config as DebugConfig, activeFile(), vscode.workspace.isTrusted);
    if ('error' in r) {
      void vscode.window.showErrorMessage(r.error);
      return undefined; // cancels the launch (returning null would open launch.json)
    }
    return r.config as vscode.DebugConfiguration;
  }
}

/** "Trampoline: Start Debugging Current File". */
export async function startDebuggingCurrentFile(): Promise<void> {
  const active = activeFile();
  if (active === null) {
    void vscode.window.showErrorMessage('Trampoline: open a .S file first.');
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(active.path));
  await vscode.debug.startDebugging(folder, configForFile(active.path, active.text) as vscode.DebugConfiguration);
}
