// forms/sse.ts: saving and restoring the x87/MMX/SSE state and MXCSR (SDM Vol.2A FXSAVE, FXRSTOR,
// LDMXCSR; Vol.2B STMXCSR). Columns: form name | encoding | instruction | attributes (see ../form.ts).
// The REX.W rows come first so a REX.W encoding takes them (their 64-bit FIP/FDP image, SDM Vol.2A
// FXSAVE Table 3-53), and every other operand size falls to the plain rows.
export const sseForms: readonly string[] = [
  'fxsave64_m           | NP REX.W 0F AE /0 | FXSAVE64 m     | o64 cpuid=fxsr gas=fxsave64',
  'fxrstor64_m          | NP REX.W 0F AE /1 | FXRSTOR64 m    | o64 cpuid=fxsr gas=fxrstor64',
  'fxsave_m             | NP 0F AE /0       | FXSAVE m       | cpuid=fxsr',
  'fxrstor_m            | NP 0F AE /1       | FXRSTOR m      | cpuid=fxsr',
  'ldmxcsr_m32          | NP 0F AE /2       | LDMXCSR m32    | cpuid=sse',
  'stmxcsr_m32          | NP 0F AE /3       | STMXCSR m32    | cpuid=sse',
];
