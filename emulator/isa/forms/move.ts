// forms/move.ts: instruction-table rows of this group (columns as in ../form.ts).
export const moveForms: readonly string[] = [
];
