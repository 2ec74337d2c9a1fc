// forms/misc.ts: instruction-table rows of this group (columns as in ../form.ts).
export const miscForms: readonly string[] = [
];
