// forms/control.ts: system instructions — control, debug and descriptor-table registers, MSRs, TLB and cache control.
// Columns: form name | encoding | instruction | attributes (see ../form.ts). Instructions whose operand
// size the SDM says is ignored (MOV CR/DR outside 64-bit mode, LLDT, LTR, VERR …) carry `anysize`: one
// row matches every effective operand size, and the formatter shows an operand-size prefix as unused.
export const controlForms: readonly string[] = [
  // MOV to/from control registers (SDM Vol.2B MOV—Move to/from Control Registers): 32 bits outside
  // 64-bit mode whatever the operand-size attribute, 64 bits in 64-bit mode; REX.R selects CR8.
  'movcr_r32_cr         | 0F 20 /r          | MOV r32, CR0–CR7      | i64 anysize u=oszapc',
  'movcr_r64_cr         | 0F 20 /r          | MOV r64, CR0–CR7      | o64 f64 u=oszapc',
  'movcr_cr_r32         | 0F 22 /r          | MOV CR0–CR7, r32      | i64 anysize stop u=oszapc',
  'movcr_cr_r64         | 0F 22 /r          | MOV CR0–CR7, r64      | o64 f64 stop u=oszapc',
  // MOV to/from debug registers (SDM Vol.2B MOV—Move to/from Debug Registers).
  'movdr_r32_dr         | 0F 21 /r          | MOV r32, DR0–DR7      | i64 anysize u=oszapc',
  'movdr_r64_dr         | 0F 21 /r          | MOV r64, DR0–DR7      | o64 f64 u=oszapc',
  'movdr_dr_r32         | 0F 23 /r          | MOV DR0–DR7, r32      | i64 anysize u=oszapc',
  'movdr_dr_r64         | 0F 23 /r          | MOV DR0–DR7, r64      | o64 f64 u=oszapc',
  // LMSW, SMSW, CLTS (SDM Vol.2A/2B). SMSW to a register is operand-size wide; to memory always 16 bits.
  'lmsw_rm16            | 0F 01 /6          | LMSW r/m16            | anysize stop gas=lmsw',
  'smsw_m16             | 0F 01 /4          | SMSW m16              | anysize gas=smsw',
  'smsw_r16             | o16 0F 01 /4      | SMSW r16              | ',
  'smsw_r32             | o32 0F 01 /4      | SMSW r32              | ',
  'smsw_r64             | REX.W 0F 01 /4    | SMSW r64              | ',
  'clts                 | 0F 06             | CLTS                  | ',
  // Descriptor-table registers (SDM Vol.2A LGDT/LIDT, SGDT, SIDT): 6-byte operand outside 64-bit mode,
  // 10-byte in 64-bit mode (operand size forced to 64).
  'lgdt_m16_32          | 0F 01 /2          | LGDT m16&32           | i64',
  'lgdt_m16_64          | 0F 01 /2          | LGDT m16&64           | o64 f64',
  'lidt_m16_32          | 0F 01 /3          | LIDT m16&32           | i64',
  'lidt_m16_64          | 0F 01 /3          | LIDT m16&64           | o64 f64',
  'sgdt_m               | 0F 01 /0          | SGDT m                | i64',
  'sgdt_m_64            | 0F 01 /0          | SGDT m                | o64 f64',
  'sidt_m               | 0F 01 /1          | SIDT m                | i64',
  'sidt_m_64            | 0F 01 /1          | SIDT m                | o64 f64',
  // LDTR and TR (SDM Vol.2A LLDT, SLDT; Vol.2B LTR, STR).
  'lldt_rm16            | 0F 00 /2          | LLDT r/m16            | anysize gas=lldt',
  'sldt_m16             | 0F 00 /0          | SLDT m16              | anysize gas=sldt',
  'sldt_r16             | o16 0F 00 /0      | SLDT r16              | ',
  'sldt_r32             | o32 0F 00 /0      | SLDT r32              | ',
  'sldt_r64             | REX.W 0F 00 /0    | SLDT r64              | ',
  'ltr_rm16             | 0F 00 /3          | LTR r/m16             | anysize gas=ltr',
  'str_m16              | 0F 00 /1          | STR m16               | anysize gas=str',
  'str_r16              | o16 0F 00 /1      | STR r16               | ',
  'str_r32              | o32 0F 00 /1      | STR r32               | ',
  'str_r64              | REX.W 0F 00 /1    | STR r64               | ',
  // Descriptor probes (SDM Vol.2A LAR, LSL; Vol.2B VERR/VERW): only ZF reports the outcome.
  // (The SDM writes r32/m16 for the 64-bit source; GAS names the register by its 64-bit name.)
  'lar_r16_rm16         | o16 0F 02 /r      | LAR r16, r16/m16      | f=z',
  'lar_r32_r32m16       | o32 0F 02 /r      | LAR r32, r32/m16      | f=z',
  'lar_r64_r64m16       | REX.W 0F 02 /r    | LAR r64, r64/m16      | f=z',
  'lsl_r16_rm16         | o16 0F 03 /r      | LSL r16, r16/m16      | f=z',
  'lsl_r32_r32m16       | o32 0F 03 /r      | LSL r32, r32/m16      | f=z',
  'lsl_r64_r64m16       | REX.W 0F 03 /r    | LSL r64, r64/m16      | f=z',
  'verr_rm16            | 0F 00 /4          | VERR r/m16            | anysize f=z gas=verr',
  'verw_rm16            | 0F 00 /5          | VERW r/m16            | anysize f=z gas=verw',
  // ARPL (SDM Vol.2A ARPL): 63 is MOVSXD in 64-bit mode (forms/move.ts).
  'arpl_rm16_r16        | 63 /r             | ARPL r/m16, r16       | i64 anysize f=z',
  // MSRs (SDM Vol.2B RDMSR, WRMSR). WRMSR to IA32_EFER can change the mode.
  'rdmsr                | 0F 32             | RDMSR                 | ',
  'wrmsr                | 0F 30             | WRMSR                 | stop',
  'swapgs               | 0F 01 F8          | SWAPGS                | o64',
  'rdtscp               | 0F 01 F9          | RDTSCP                | cpuid=rdtscp',
  // SMAP's EFLAGS.AC override (SDM Vol.2A CLAC, Vol.2B STAC; Vol.3A §4.6.1).
  'clac                 | NP 0F 01 CA       | CLAC                  | cpuid=smap',
  'stac                 | NP 0F 01 CB       | STAC                  | cpuid=smap',
  'rdpkru               | NP 0F 01 EE       | RDPKRU                | cpuid=pku',
  'wrpkru               | NP 0F 01 EF       | WRPKRU                | cpuid=pku',
  'rdpid_r32            | F3 0F C7 /7       | RDPID r32             | i64 anysize cpuid=rdpid',
  'rdpid_r64            | F3 0F C7 /7       | RDPID r64             | o64 f64 cpuid=rdpid',
  // FS/GS base access from any privilege level when CR4.FSGSBASE = 1 (SDM Vol.2B RDFSBASE/RDGSBASE,
  // WRFSBASE/WRGSBASE): register operand only, 64-bit mode only.
  'rdfsbase_r32         | F3 0F AE /0       | RDFSBASE r32          | o64 cpuid=fsgsbase',
  'rdfsbase_r64         | REX.W F3 0F AE /0 | RDFSBASE r64          | o64 cpuid=fsgsbase',
  'rdgsbase_r32         | F3 0F AE /1       | RDGSBASE r32          | o64 cpuid=fsgsbase',
  'rdgsbase_r64         | REX.W F3 0F AE /1 | RDGSBASE r64          | o64 cpuid=fsgsbase',
  'wrfsbase_r32         | F3 0F AE /2       | WRFSBASE r32          | o64 cpuid=fsgsbase',
  'wrfsbase_r64         | REX.W F3 0F AE /2 | WRFSBASE r64          | o64 cpuid=fsgsbase',
  'wrgsbase_r32         | F3 0F AE /3       | WRGSBASE r32          | o64 cpuid=fsgsbase',
  'wrgsbase_r64         | REX.W F3 0F AE /3 | WRGSBASE r64          | o64 cpuid=fsgsbase',
  // TLB and cache control (SDM Vol.2A INVLPG, INVPCID, INVD, WBINVD, CLFLUSH).
  'invlpg_m             | 0F 01 /7          | INVLPG m              | stop',
  'invpcid_r32_m128     | 66 0F 38 82 /r    | INVPCID r32, m128     | i64 anysize stop cpuid=invpcid',
  'invpcid_r64_m128     | 66 0F 38 82 /r    | INVPCID r64, m128     | o64 f64 stop cpuid=invpcid',
  'invd                 | 0F 08             | INVD                  | ',
  'wbinvd               | 0F 09             | WBINVD                | ',
  'clflush_m8           | NP 0F AE /7       | CLFLUSH m8            | cpuid=clflush',
  // Memory fences (SDM Vol.2A LFENCE, MFENCE; Vol.2B SFENCE). The SDM also accepts any r/m in ModRM
  // (0F AE E9–EF, F1–F7, F9–FF); only the documented E8, F0, F8 decode here.
  'lfence               | NP 0F AE E8       | LFENCE                | cpuid=sse2',
  'mfence               | NP 0F AE F0       | MFENCE                | cpuid=sse2',
  'sfence               | NP 0F AE F8       | SFENCE                | cpuid=sse',
];
