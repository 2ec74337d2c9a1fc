// activate.ts: the extension's entry point — registers the debugger (configuration provider, adapter
// factory), the views, the status bar, the commands and the GAS language client. Everything it wires up
// lives in its own file; nothing here draws or decides.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AdapterFactory } from './adapterFactory';
import { copyAddress, openPhysicalPage } from './commands';
import { ConfigProvider, startDebuggingCurrentFile } from './configProvider';
import { startLanguageClient } from './languageClient';
import { ModeSwitchesView } from './modeSwitchesView';
import { PageTablesView } from './pageTablesView';
import { ModeStatusBar } from './statusBar';
import { StopEvents } from './stopEvents';
import { translateAddress } from './translate';

let client: Promise<LanguageClient | undefined> = Promise.resolve(undefined);

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Trampoline');
  const stops = new StopEvents();
  const pageTables = new PageTablesView();
  const modeSwitches = new ModeSwitchesView();
  const status = new ModeStatusBar();
  const provider = new ConfigProvider();
  context.subscriptions.push(
    output, stops, status,
    vscode.debug.registerDebugConfigurationProvider('trampoline', provider),
    vscode.debug.registerDebugConfigurationProvider('trampoline', provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory('trampoline', new AdapterFactory(context.extensionPath)),
    vscode.window.createTreeView('trampoline.pageTables', { treeDataProvider: pageTables, showCollapseAll: true }),
    vscode.window.createTreeView('trampoline.modeSwitches', { treeDataProvider: modeSwitches }),
    stops.onDidChange((session) => {
      pageTables.refresh();
      modeSwitches.refresh();
      void status.update(session ?? vscode.debug.activeDebugSession);
    }),
    vscode.commands.registerCommand('trampoline.startDebugging', startDebuggingCurrentFile),
    vscode.commands.registerCommand('trampoline.translateAddress', (address?: string) => translateAddress(output, typeof address === 'string' ? address : undefined)),
    vscode.commands.registerCommand('trampoline.openPhysicalPage', openPhysicalPage),
    vscode.commands.registerCommand('trampoline.copyAddress', copyAddress),
    vscode.commands.registerCommand('trampoline.refreshPageTables', () => pageTables.refresh()),
  );
  client = startLanguageClient(context).catch((e: unknown) => {
    output.appendLine(`GAS language server did not start: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
}

export async function deactivate(): Promise<void> {
  await (await client)?.stop();
}
