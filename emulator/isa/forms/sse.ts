// forms/sse.ts: saving and restoring the x87/MMX/SSE state and MXCSR (SDM Vol.2A FXSAVE, FXRSTOR,
// LDMXCSR; Vol.2B STMXCSR), and the SSE data moves boot code uses for copying and clearing memory (SDM
// Vol.2B MOVAPS, MOVUPS, MOVDQA/MOVDQU, MOVD/MOVQ, PXOR, XORPS). Columns: form name | encoding |
// instruction | attributes (see ../form.ts).
// The REX.W rows come first so a REX.W encoding takes them (their 64-bit FIP/FDP image, SDM Vol.2A
// FXSAVE Table 3-53; MOVQ with a general register), and every other operand size falls to the plain rows.
// Of two encodings for a register-to-register move, the load form (xmm1 in ModRM.reg) comes first:
// GNU as picks it (movaps %xmm1,%xmm0 is 0F 28 C1).
export const sseForms: readonly string[] = [
  'fxsave64_m           | NP REX.W 0F AE /0 | FXSAVE64 m     | o64 cpuid=fxsr gas=fxsave64',
  'fxrstor64_m          | NP REX.W 0F AE /1 | FXRSTOR64 m    | o64 cpuid=fxsr gas=fxrstor64',
  'fxsave_m             | NP 0F AE /0       | FXSAVE m       | cpuid=fxsr',
  'fxrstor_m            | NP 0F AE /1       | FXRSTOR m      | cpuid=fxsr',
  'ldmxcsr_m32          | NP 0F AE /2       | LDMXCSR m32    | cpuid=sse',
  'stmxcsr_m32          | NP 0F AE /3       | STMXCSR m32    | cpuid=sse',
  'movaps_xmm_xmmm128   | NP 0F 28 /r       | MOVAPS xmm1, xmm2/m128 | cpuid=sse',
  'movaps_xmmm128_xmm   | NP 0F 29 /r       | MOVAPS xmm2/m128, xmm1 | cpuid=sse',
  'movups_xmm_xmmm128   | NP 0F 10 /r       | MOVUPS xmm1, xmm2/m128 | cpuid=sse',
  'movups_xmmm128_xmm   | NP 0F 11 /r       | MOVUPS xmm2/m128, xmm1 | cpuid=sse',
  'movdqa_xmm_xmmm128   | 66 0F 6F /r       | MOVDQA xmm1, xmm2/m128 | cpuid=sse2',
  'movdqa_xmmm128_xmm   | 66 0F 7F /r       | MOVDQA xmm2/m128, xmm1 | cpuid=sse2',
  'movdqu_xmm_xmmm128   | F3 0F 6F /r       | MOVDQU xmm1, xmm2/m128 | cpuid=sse2',
  'movdqu_xmmm128_xmm   | F3 0F 7F /r       | MOVDQU xmm2/m128, xmm1 | cpuid=sse2',
  'movq_xmm_rm64        | 66 REX.W 0F 6E /r | MOVQ xmm, r/m64        | o64 cpuid=sse2',
  'movq_rm64_xmm        | 66 REX.W 0F 7E /r | MOVQ r/m64, xmm        | o64 cpuid=sse2',
  'movd_xmm_rm32        | 66 0F 6E /r       | MOVD xmm, r/m32        | anysize cpuid=sse2',
  'movd_rm32_xmm        | 66 0F 7E /r       | MOVD r/m32, xmm        | anysize cpuid=sse2',
  'movq_xmm_xmmm64      | F3 0F 7E /r       | MOVQ xmm1, xmm2/m64    | cpuid=sse2',
  'movq_xmmm64_xmm      | 66 0F D6 /r       | MOVQ xmm2/m64, xmm1    | cpuid=sse2',
  'pxor_xmm_xmmm128     | 66 0F EF /r       | PXOR xmm1, xmm2/m128   | cpuid=sse2',
  'xorps_xmm_xmmm128    | NP 0F 57 /r       | XORPS xmm1, xmm2/m128  | cpuid=sse',
];
