// adapterFactory.ts: where the debug adapter runs — inline in the extension host by default (one
// TrampolineSession per debug session, files through node:fs: the extension host is Node), or as the
// `trampoline dap` process when trampoline.adapter.runAs is "process".
import * as vscode from 'vscode';
import path from 'node:path';
import { UNTRUSTED_MESSAGE } from './configModel';

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  async createDebugAdapterDescriptor(): Promise<vscode.DebugAdapterDescriptor> {
    // A launch.json started from the Run view skips no provider, but the factory is the last gate.
    if (!vscode.workspace.isTrusted) throw new Error(UNTRUSTED_MESSAGE);
    const runAs = vscode.workspace.getConfiguration('trampoline.adapter').get<string>('runAs', 'inline');
    if (runAs === 'process') {
      // process.execPath is Node in code-server and Electron in desktop VS Code: ELECTRON_RUN_AS_NODE makes
      // the latter behave as Node.
      return new vscode.DebugAdapterExecutable(process.execPath, [path.join(this.extensionPath, 'dist', 'trampoline.js'), 'dap'], {
        env: { ELECTRON_RUN_AS_NODE: '1' },
      });
    }
    // Loaded on the first session, not at activation: the adapter brings the emulator and the assembler,
    // most of the bundle's load time (bench/extension.ts).
    const [{ TrampolineSession }, { nodeFiles }] = await Promise.all([import('../adapter/session'), import('../adapter/nodeFiles')]);
    return new vscode.DebugAdapterInlineImplementation(new TrampolineSession(nodeFiles));
  }
}
