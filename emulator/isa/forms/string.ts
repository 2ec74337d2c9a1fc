// forms/string.ts: instruction-table rows of this group (columns as in ../form.ts).
export const stringForms: readonly string[] = [
];
