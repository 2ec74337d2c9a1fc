// forms/stack.ts: instruction-table rows of this group (columns as in ../form.ts).
export const stackForms: readonly string[] = [
];
