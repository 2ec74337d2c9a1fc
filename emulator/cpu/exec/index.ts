// exec/index.ts: the handler of every form in the instruction table, indexed by Form.id.
import { FORMS } from '../../isa/table';
import { raise, Vector } from '../fault';
import type { Handler } from '../insn';
import { handlers as alu } from './alu';
import { handlers as bcd } from './bcd';
import { handlers as bit } from './bit';
import { handlers as branch } from './branch';
import { handlers as far } from './far';
import { handlers as fpu } from './fpu';
import { handlers as fpuEnv } from './fpuEnv';
import { handlers as fxsave } from './fxsave';
import { handlers as misc } from './misc';
import { handlers as move } from './move';
import { handlers as muldiv } from './muldiv';
import { handlers as shift } from './shift';
import { handlers as stack } from './stack';
import { handlers as string } from './string';
import { handlers as system } from './system';

const ALL: Record<string, Handler> = { ...alu, ...bcd, ...bit, ...branch, ...far, ...misc, ...move, ...muldiv, ...shift, ...stack, ...string, ...system,
  ...fpu, ...fpuEnv, ...fxsave };

function missing(): void {
  raise(Vector.UD, 0, 'instruction form has no handler');
}

/** Handlers by Form.id; a form without one raises #UD (a test requires every form to have one). */
export const HANDLERS: readonly Handler[] = FORMS.map((f) => ALL[f.name] ?? missing);

/** Names of forms with no handler, for that test. */
export function formsWithoutHandler(): string[] {
  return FORMS.filter((f) => !ALL[f.name]).map((f) => f.name);
}

/** Handler names that match no form (typos), for that test. */
export function handlersWithoutForm(): string[] {
  const names = new Set(FORMS.map((f) => f.name));
  return Object.keys(ALL).filter((n) => !names.has(n));
}
