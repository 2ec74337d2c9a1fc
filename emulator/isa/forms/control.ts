// forms/control.ts: system instructions — control, debug and descriptor-table registers, MSRs, TLB and cache control.
export const controlForms: readonly string[] = [
];
