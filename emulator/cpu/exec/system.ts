// exec/system.ts: handlers of the system instructions in forms/control.ts.
import type { Handler } from '../insn';

export const handlers: Record<string, Handler> = {};
