// forms/x87.ts: the x87 FPU instructions that manage its state (SDM Vol.2A/2B F*; Vol.1 §8.3.12 control
// instructions) plus the few loads tests need, and EMMS. Columns: form name | encoding | instruction |
// attributes (see ../form.ts). The waiting forms FINIT, FCLEX, FSTCW, FSTSW, FSTENV, FSAVE are WAIT (9B)
// followed by these: two instructions, as the processor executes them.
// Operand size is ignored except by FNSTENV/FLDENV/FNSAVE/FRSTOR, which pick the 14/28- or 94/108-byte
// image from it (SDM Vol.1 §8.1.10): those rows are `anysize` and the handler reads the size.
export const x87Forms: readonly string[] = [
  'fninit               | DB E3          | FNINIT            | ',
  'fnclex               | DB E2          | FNCLEX            | ',
  'fnstcw_m16           | D9 /7          | FNSTCW m16        | anysize',
  'fldcw_m16            | D9 /5          | FLDCW m16         | anysize',
  'fnstsw_m16           | DD /7          | FNSTSW m16        | anysize',
  'fnstsw_ax            | DF E0          | FNSTSW AX         | anysize',
  'fnstenv_m            | D9 /6          | FNSTENV m         | anysize',
  'fldenv_m             | D9 /4          | FLDENV m          | anysize',
  'fnsave_m             | DD /6          | FNSAVE m          | anysize',
  'frstor_m             | DD /4          | FRSTOR m          | anysize',
  'fnop                 | D9 D0          | FNOP              | ',
  'fdecstp              | D9 F6          | FDECSTP           | ',
  'fincstp              | D9 F7          | FINCSTP           | ',
  'fld1                 | D9 E8          | FLD1              | ',
  'fldz                 | D9 EE          | FLDZ              | ',
  // EMMS (SDM Vol.2A EMMS): MMX, marks every x87 register empty.
  'emms                 | NP 0F 77       | EMMS              | cpuid=mmx',
];
