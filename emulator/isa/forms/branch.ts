// forms/branch.ts: near JMP, CALL, RET, Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE (SDM Vol.2).
// Columns: form name | encoding | instruction | attributes (see ../form.ts).
// 64-bit mode: near branches use a 64-bit operand size whatever 66h says (f64), as Intel processors do
// (SDM Vol.2 §2.2.1.7 and the JMP/CALL/RET pages: "operand size is forced to 64 bits"); AMD processors
// honour 66h there instead (16-bit IP). So in 64-bit mode only the o64 rows (and the size-less rel8
// rows, whose opSize then is 64) decode; the 16/32-bit rows are marked i64 (SDM: "N.S." in 64-bit mode).
export const branchForms: readonly string[] = [
  'jmp_rel8             | EB cb          | JMP rel8          | branch f64',
  'jmp_rel16            | o16 E9 cw      | JMP rel16         | branch i64',
  'jmp_rel32            | o32 E9 cd      | JMP rel32         | branch i64',
  'jmp_rel32_64         | o64 E9 cd      | JMP rel32         | branch f64',
  'jmp_rm16             | o16 FF /4      | JMP r/m16         | branch i64',
  'jmp_rm32             | o32 FF /4      | JMP r/m32         | branch i64',
  'jmp_rm64             | FF /4          | JMP r/m64         | branch f64',
  'call_rel16           | o16 E8 cw      | CALL rel16        | branch i64',
  'call_rel32           | o32 E8 cd      | CALL rel32        | branch i64',
  'call_rel32_64        | o64 E8 cd      | CALL rel32        | branch f64',
  'call_rm16            | o16 FF /2      | CALL r/m16        | branch i64',
  'call_rm32            | o32 FF /2      | CALL r/m32        | branch i64',
  'call_rm64            | FF /2          | CALL r/m64        | branch f64',
  'ret16                | o16 C3         | RET               | branch i64',
  'ret32                | o32 C3         | RET               | branch i64',
  'ret64                | o64 C3         | RET               | branch f64',
  'ret16_imm16          | o16 C2 iw      | RET imm16         | branch i64',
  'ret32_imm16          | o32 C2 iw      | RET imm16         | branch i64',
  'ret64_imm16          | o64 C2 iw      | RET imm16         | branch f64',
  'jcc_rel8             | 70+cc cb       | Jcc rel8          | branch f64 r=oszpc',
  'jcc_rel16            | o16 0F 80+cc cw | Jcc rel16        | branch i64 r=oszpc',
  'jcc_rel32            | o32 0F 80+cc cd | Jcc rel32        | branch i64 r=oszpc',
  'jcc_rel32_64         | o64 0F 80+cc cd | Jcc rel32        | branch f64 r=oszpc',
  'jcxz_rel8            | a16 E3 cb      | JCXZ rel8         | branch f64',
  'jecxz_rel8           | a32 E3 cb      | JECXZ rel8        | branch f64',
  'jrcxz_rel8           | a64 E3 cb      | JRCXZ rel8        | branch f64',
  'loop_rel8            | E2 cb          | LOOP rel8         | branch f64',
  'loope_rel8           | E1 cb          | LOOPE rel8        | branch f64 r=z',
  'loopne_rel8          | E0 cb          | LOOPNE rel8       | branch f64 r=z',
];
