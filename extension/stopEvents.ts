// stopEvents.ts: one event for "the views should redraw" — a trampoline session stopped (a DAP `stopped`
// event seen by a DebugAdapterTracker), continued, started or ended, or the active session changed.
import * as vscode from 'vscode';

export class StopEvents implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugSession | undefined>();
  /** Fires with the session that changed, or undefined when the active session went away. */
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      this.emitter,
      vscode.debug.registerDebugAdapterTrackerFactory('trampoline', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type === 'event' && (m.event === 'stopped' || m.event === 'continued')) this.emitter.fire(session);
          },
          onExit: () => this.emitter.fire(undefined),
        }),
      }),
      vscode.debug.onDidChangeActiveDebugSession((s) => this.emitter.fire(s)),
      vscode.debug.onDidTerminateDebugSession(() => this.emitter.fire(undefined)),
    ];
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

/** The active session when it is a Trampoline one. */
export function trampolineSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s !== undefined && s.type === 'trampoline' ? s : undefined;
}
