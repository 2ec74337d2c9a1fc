// forms/system.ts: instruction-table rows of this group (columns as in ../form.ts).
export const systemForms: readonly string[] = [
];
