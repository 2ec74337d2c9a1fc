// commands.ts: the item actions of the views — "Trampoline: Copy Address" and "Trampoline: Open Physical
// Page in Memory View" (VS Code's binary memory view, opened in the Hex Editor).
import * as vscode from 'vscode';
import { addressToCopy, memoryUriParts, physicalPage, type PageTableItem } from './pageTableModel';
import type { SwitchView } from './modeSwitchModel';
import { trampolineSession } from './stopEvents';

export async function copyAddress(item: PageTableItem | SwitchView | undefined): Promise<void> {
  if (item === undefined) return;
  const text = 'kind' in item ? addressToCopy(item) : item.address;
  if (text === null) return;
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
}

export async function openPhysicalPage(item: PageTableItem | undefined): Promise<void> {
  const session = trampolineSession();
  const page = item === undefined ? null : physicalPage(item);
  if (session === undefined || page === null) {
    void vscode.window.showErrorMessage('Trampoline: choose a present page-table entry in the Page Tables view of a running session.');
    return;
  }
  const uri = vscode.Uri.from(memoryUriParts(session.id, page.physical, page.bytes));
  try {
    await vscode.commands.executeCommand('vscode.openWith', uri, 'hexEditor.hexedit');
  } catch {
    void vscode.window.showErrorMessage(`Trampoline: the memory view needs the Hex Editor extension (ms-vscode.hexeditor). The page is physical ${page.physical}; the Debug Console shows it with "x/64xb phys:${page.physical}".`);
  }
}
