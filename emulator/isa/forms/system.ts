// forms/system.ts: instruction-table rows of this group (columns as in ../form.ts).
// Far transfers (SDM Vol.2 JMP, CALL, RET, IRET) in every mode, and the fast system calls
// (SYSCALL, SYSRET, SYSENTER, SYSEXIT); handlers in cpu/exec/far.ts.
export const systemForms: readonly string[] = [
  'jmp_ptr16_16         | o16 EA cd      | JMP ptr16:16      | i64 branch stop gas=ljmpw',
  'jmp_ptr16_32         | o32 EA cp      | JMP ptr16:32      | i64 branch stop gas=ljmpl',
  'jmp_m16_16           | o16 FF /5      | JMP m16:16        | branch stop gas=ljmpw',
  'jmp_m16_32           | o32 FF /5      | JMP m16:32        | branch stop gas=ljmpl',
  'jmp_m16_64           | REX.W FF /5    | JMP m16:64        | branch stop gas=ljmpq',
  'call_ptr16_16        | o16 9A cd      | CALL ptr16:16     | i64 branch stop gas=lcallw',
  'call_ptr16_32        | o32 9A cp      | CALL ptr16:32     | i64 branch stop gas=lcalll',
  'call_m16_16          | o16 FF /3      | CALL m16:16       | branch stop gas=lcallw',
  'call_m16_32          | o32 FF /3      | CALL m16:32       | branch stop gas=lcalll',
  'call_m16_64          | REX.W FF /3    | CALL m16:64       | branch stop gas=lcallq',
  'retf16               | o16 CB         | RETF              | branch stop gas=lretw',
  'retf32               | o32 CB         | RETF              | branch stop gas=lretl',
  'retf64               | REX.W CB       | RETF              | branch stop gas=lretq',
  'retf16_imm16         | o16 CA iw      | RETF imm16        | branch stop gas=lretw',
  'retf32_imm16         | o32 CA iw      | RETF imm16        | branch stop gas=lretl',
  'retf64_imm16         | REX.W CA iw    | RETF imm16        | branch stop gas=lretq',
  'iret                 | o16 CF         | IRET              | branch stop f=oszapcdit gas=iretw',
  'iretd                | o32 CF         | IRETD             | branch stop f=oszapcdit gas=iretl',
  'iretq                | REX.W CF       | IRETQ             | branch stop f=oszapcdit gas=iretq',
  'syscall              | 0F 05          | SYSCALL           | branch stop f=oszapcdit',
  'sysret               | 0F 07          | SYSRET            | branch stop f=oszapcdit',
  'sysenter             | 0F 34          | SYSENTER          | branch stop f=i',
  'sysexit              | 0F 35          | SYSEXIT           | branch stop',
];
