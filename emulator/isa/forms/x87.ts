// forms/x87.ts: the x87 FPU instructions (SDM Vol.2A/2B F*; Vol.1 chapter 8): the control instructions that
// manage its state (§8.3.12), the data transfers between ST(i), memory and the stack (§8.3.3, §8.3.4), the
// constant loads (§8.3.8), FCHS/FABS, and EMMS. Columns: form name | encoding | instruction | attributes
// (see ../form.ts).
// `wait=` names GAS's waiting form of a control instruction: FINIT is WAIT (9B) then FNINIT, two
// instructions as the processor executes them (SDM Vol.1 §8.3.11); only the assembler and the disassembler
// treat the pair as one.
// Operand size is ignored except by FNSTENV/FLDENV/FNSAVE/FRSTOR, which pick the 14/28- or 94/108-byte
// image from it (SDM Vol.1 §8.1.10): those rows are `anysize` and the handler reads the size.
// Where several memory formats share a mnemonic (FLD m32fp/m64fp/m80fp), GAS's default for an unsuffixed
// name comes first: m32fp, m16int (i386-opc.tbl order).
export const x87Forms: readonly string[] = [
  'fninit               | DB E3          | FNINIT            | wait=finit',
  'fnclex               | DB E2          | FNCLEX            | wait=fclex',
  'fnstcw_m16           | D9 /7          | FNSTCW m16        | anysize wait=fstcw',
  'fldcw_m16            | D9 /5          | FLDCW m16         | anysize',
  'fnstsw_m16           | DD /7          | FNSTSW m16        | anysize wait=fstsw',
  'fnstsw_ax            | DF E0          | FNSTSW AX         | anysize wait=fstsw',
  'fnstenv_m            | D9 /6          | FNSTENV m         | anysize wait=fstenv',
  'fldenv_m             | D9 /4          | FLDENV m          | anysize',
  'fnsave_m             | DD /6          | FNSAVE m          | anysize wait=fsave',
  'frstor_m             | DD /4          | FRSTOR m          | anysize',
  'fnop                 | D9 D0          | FNOP              | ',
  'fdecstp              | D9 F6          | FDECSTP           | ',
  'fincstp              | D9 F7          | FINCSTP           | ',
  'ffree_st             | DD C0+i        | FFREE ST(i)       | ',
  // Loads and stores (SDM Vol.2A FLD, FILD; Vol.2B FST/FSTP, FISTP, FXCH).
  'fld_m32fp            | D9 /0          | FLD m32fp         | ',
  'fld_m64fp            | DD /0          | FLD m64fp         | ',
  'fld_m80fp            | DB /5          | FLD m80fp         | ',
  'fld_st               | D9 C0+i        | FLD ST(i)         | ',
  'fst_m32fp            | D9 /2          | FST m32fp         | ',
  'fst_m64fp            | DD /2          | FST m64fp         | ',
  'fst_st               | DD D0+i        | FST ST(i)         | ',
  'fstp_m32fp           | D9 /3          | FSTP m32fp        | ',
  'fstp_m64fp           | DD /3          | FSTP m64fp        | ',
  'fstp_m80fp           | DB /7          | FSTP m80fp        | ',
  'fstp_st              | DD D8+i        | FSTP ST(i)        | ',
  'fild_m16int          | DF /0          | FILD m16int       | ',
  'fild_m32int          | DB /0          | FILD m32int       | ',
  'fild_m64int          | DF /5          | FILD m64int       | ',
  'fist_m16int          | DF /2          | FIST m16int       | ',
  'fist_m32int          | DB /2          | FIST m32int       | ',
  'fistp_m16int         | DF /3          | FISTP m16int      | ',
  'fistp_m32int         | DB /3          | FISTP m32int      | ',
  'fistp_m64int         | DF /7          | FISTP m64int      | ',
  'fxch_st              | D9 C8+i        | FXCH ST(i)        | ',
  'fchs                 | D9 E0          | FCHS              | ',
  'fabs                 | D9 E1          | FABS              | ',
  // Arithmetic (SDM Vol.2A FADD/FADDP, FMUL/FMULP, FSUB/FSUBP, FSUBR/FSUBRP, FDIV/FDIVP, FDIVR/FDIVRP). With
  // ST(i) as the destination, GAS and objdump swap the AT&T names of the subtractions and divisions
  // (binutils SYSV386_COMPAT): DC E8+i, Intel FSUB ST(i), ST(0), is `fsubr %st,%st(i)` (gas=).
  'fadd_m32fp          | D8 /0          | FADD m32fp       | ',
  'fadd_m64fp          | DC /0          | FADD m64fp       | ',
  'fadd_st0_st         | D8 C0+i        | FADD ST(0), ST(i) | ',
  'fadd_st_st0         | DC C0+i        | FADD ST(i), ST(0) | ',
  'faddp_st_st0        | DE C0+i        | FADDP ST(i), ST(0) | ',
  'fmul_m32fp          | D8 /1          | FMUL m32fp       | ',
  'fmul_m64fp          | DC /1          | FMUL m64fp       | ',
  'fmul_st0_st         | D8 C8+i        | FMUL ST(0), ST(i) | ',
  'fmul_st_st0         | DC C8+i        | FMUL ST(i), ST(0) | ',
  'fmulp_st_st0        | DE C8+i        | FMULP ST(i), ST(0) | ',
  'fsub_m32fp          | D8 /4          | FSUB m32fp       | ',
  'fsub_m64fp          | DC /4          | FSUB m64fp       | ',
  'fsub_st0_st         | D8 E0+i        | FSUB ST(0), ST(i) | ',
  'fsub_st_st0         | DC E8+i        | FSUB ST(i), ST(0) | gas=fsubr',
  'fsubp_st_st0        | DE E8+i        | FSUBP ST(i), ST(0) | gas=fsubrp',
  'fsubr_m32fp         | D8 /5          | FSUBR m32fp      | ',
  'fsubr_m64fp         | DC /5          | FSUBR m64fp      | ',
  'fsubr_st0_st        | D8 E8+i        | FSUBR ST(0), ST(i) | ',
  'fsubr_st_st0        | DC E0+i        | FSUBR ST(i), ST(0) | gas=fsub',
  'fsubrp_st_st0       | DE E0+i        | FSUBRP ST(i), ST(0) | gas=fsubp',
  'fdiv_m32fp          | D8 /6          | FDIV m32fp       | ',
  'fdiv_m64fp          | DC /6          | FDIV m64fp       | ',
  'fdiv_st0_st         | D8 F0+i        | FDIV ST(0), ST(i) | ',
  'fdiv_st_st0         | DC F8+i        | FDIV ST(i), ST(0) | gas=fdivr',
  'fdivp_st_st0        | DE F8+i        | FDIVP ST(i), ST(0) | gas=fdivrp',
  'fdivr_m32fp         | D8 /7          | FDIVR m32fp      | ',
  'fdivr_m64fp         | DC /7          | FDIVR m64fp      | ',
  'fdivr_st0_st        | D8 F8+i        | FDIVR ST(0), ST(i) | ',
  'fdivr_st_st0        | DC F0+i        | FDIVR ST(i), ST(0) | gas=fdiv',
  'fdivrp_st_st0       | DE F0+i        | FDIVRP ST(i), ST(0) | gas=fdivp',
  // Constants (SDM Vol.1 §8.3.8, Table 8-6).
  'fld1                 | D9 E8          | FLD1              | ',
  'fldl2t               | D9 E9          | FLDL2T            | ',
  'fldl2e               | D9 EA          | FLDL2E            | ',
  'fldpi                | D9 EB          | FLDPI             | ',
  'fldlg2               | D9 EC          | FLDLG2            | ',
  'fldln2               | D9 ED          | FLDLN2            | ',
  'fldz                 | D9 EE          | FLDZ              | ',
  // EMMS (SDM Vol.2A EMMS): MMX, marks every x87 register empty.
  'emms                 | NP 0F 77       | EMMS              | cpuid=mmx',
];
