// translate.ts: "Trampoline: Translate Address…" — asks for an address or expression, shows the walk level
// by level in a quick pick (translateModel.ts) and keeps it in the "Trampoline" output channel.
import * as vscode from 'vscode';
import type { TranslateJson } from '../adapter/pageTables';
import { translateLines, translateText } from './translateModel';
import { trampolineSession } from './stopEvents';

export async function translateAddress(output: vscode.OutputChannel, preset?: string): Promise<void> {
  const session = trampolineSession();
  if (session === undefined) {
    void vscode.window.showErrorMessage('Trampoline: start a Trampoline debug session (and pause it) to translate an address.');
    return;
  }
  const address = preset ?? await vscode.window.showInputBox({
    title: 'Trampoline: Translate Address',
    prompt: 'A linear address or an expression: 0x7c00, rip, rsp+8, a label',
    placeHolder: '0x100000000',
  });
  if (address === undefined || address.trim() === '') return;
  let t: TranslateJson;
  try {
    t = (await session.customRequest('trampoline/translate', { address })) as TranslateJson;
  } catch (e) {
    void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
    return;
  }
  output.appendLine(translateText(t));
  await vscode.window.showQuickPick(translateLines(t), { title: `${address} (${t.linear}): ${t.paging} paging walk`, matchOnDescription: true, matchOnDetail: true });
}
