// table.ts: the instruction table — every form the emulator executes, one row each, and the
// lookup structures the decoder, disassembler and assembler build from it.
// Rows live in forms/*.ts by instruction group; this file parses them once and indexes them.
import { Form, parseForm } from './form';
import { aluForms } from './forms/alu';
import { moveForms } from './forms/move';
import { bitForms } from './forms/bit';
import { stackForms } from './forms/stack';
import { branchForms } from './forms/branch';
import { stringForms } from './forms/string';
import { miscForms } from './forms/misc';
import { systemForms } from './forms/system';
import { controlForms } from './forms/control';
import { x87Forms } from './forms/x87';
import { sseForms } from './forms/sse';

export const ROWS: readonly string[] = [
  ...aluForms, ...moveForms, ...bitForms, ...stackForms, ...branchForms, ...stringForms, ...miscForms, ...systemForms, ...controlForms,
  ...x87Forms, ...sseForms,
];

/** Every form, indexed by Form.id. */
export const FORMS: readonly Form[] = ROWS.map((r, i) => parseForm(r, i));

const byName = new Map<string, Form>();
for (const f of FORMS) {
  if (byName.has(f.name)) throw new Error(`instruction table: duplicate form name ${f.name}`);
  byName.set(f.name, f);
}

export function formByName(name: string): Form | undefined {
  return byName.get(name);
}

/**
 * Candidate forms per opcode: LEGACY[map][opcode] for maps 0 (one-byte), 1 (0F), 2 (0F 38), 3 (0F 3A),
 * VEX[map][opcode] for VEX-encoded forms. Most specific rows come first (exact ModRM, then mandatory
 * prefix, then /digit), so the decoder takes the first row that matches.
 */
export const LEGACY: Form[][][] = [0, 1, 2, 3].map(() => Array.from({ length: 256 }, () => [] as Form[]));
export const VEX: Form[][][] = [0, 1, 2, 3].map(() => Array.from({ length: 256 }, () => [] as Form[]));

function specificity(f: Form): number {
  return (f.modrmLiteral >= 0 ? 8 : 0) + (f.prefix !== 0 ? 4 : 0) + (f.digit >= 0 ? 2 : 0) + (f.rmKind !== 0 ? 1 : 0);
}

for (const f of FORMS) {
  const maps = f.vex ? VEX : LEGACY;
  const span = f.plusR ? 8 : f.plusCC ? 16 : 1;
  for (let k = 0; k < span; k++) maps[f.map][f.opcode + k].push(f);
}
for (const maps of [LEGACY, VEX]) {
  for (const map of maps) {
    for (const list of map) {
      list.sort((a, b) => specificity(b) - specificity(a) || a.id - b.id);
      // Whether a ModRM byte follows is a property of the opcode, not of the row.
      if (list.length > 1 && list.some((f) => f.modrm !== list[0].modrm)) {
        throw new Error(`instruction table: rows disagree on ModRM for ${list.map((f) => f.name).join(', ')}`);
      }
    }
  }
}
