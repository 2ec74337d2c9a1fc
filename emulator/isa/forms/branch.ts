// forms/branch.ts: instruction-table rows of this group (columns as in ../form.ts).
export const branchForms: readonly string[] = [
];
