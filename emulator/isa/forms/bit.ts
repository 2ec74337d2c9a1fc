// forms/bit.ts: instruction-table rows of this group (columns as in ../form.ts).
export const bitForms: readonly string[] = [
];
