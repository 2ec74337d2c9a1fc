// exec/string.ts: handlers of this instruction group, keyed by form name.
import type { Handler } from '../insn';

export const handlers: Record<string, Handler> = {};
