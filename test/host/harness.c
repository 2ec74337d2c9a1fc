/*
 * Trampoline host-CPU reference harness.
 *
 * Runs small x86 code blobs natively (64-bit mode, or 32-bit compatibility
 * mode) and reports the architectural result, so the emulator can be checked
 * against the real CPU.  Driven by test/host/hostCpu.ts; builds with
 *   gcc -O2 -static-pie -fno-stack-protector -mno-red-zone -o harness harness.c
 * (x86-64 Linux only).  Link it as a PIE (-static-pie, or the default dynamic
 * PIE), never as a non-PIE static binary: the kernel may then put the brk heap
 * (which holds glibc's TLS) anywhere in the low 4 GiB, where it can collide
 * with the fixed areas or be overwritten by guest code.
 *
 * ---------------------------------------------------------------------------
 * Fixed memory layout (all below 4 GiB so 32-bit code can reach it)
 * ---------------------------------------------------------------------------
 *   CODE   0x10000000  8 KiB RWX.  The blob (<= 4096 bytes) is copied to
 *                      CODE; at CODE+len the harness writes `E9 rel32`
 *                      (jmp to its epilogue, same encoding in both modes);
 *                      the rest of the page(s) is filled with 0xCC (int3).
 *   DATA   0x20000000  64 KiB RW, zeroed before every case.
 *   STACK  0x30000000  64 KiB RW, zeroed before every case; STACK_TOP is
 *                      0x30010000.
 *   HARN   0x0F000000  64 KiB private to the harness: entry/exit stubs
 *                      (+0x0000, read+exec), state block (+0x1000, RW) and
 *                      private stack (top at 0x0F010000, RW).  Guest code
 *                      should not touch it.
 *
 * ---------------------------------------------------------------------------
 * Binary protocol (all integers little-endian)
 * ---------------------------------------------------------------------------
 * stdin: a sequence of case records until EOF.  Case record:
 *   off  size
 *     0   u32   magic 0x53414354 ("TCAS")
 *     4   u8    mode: 64 or 32
 *     5   u8[3] reserved (0)
 *     8   u32   timeout_ms (0 = default 1000 ms wall clock)
 *    12   u32   code_len    (<= 4096)
 *    16   u32   data_off    (data_off + data_len <= 0x10000)
 *    20   u32   data_len    (window of DATA that is loaded and returned)
 *    24   u32   stack_len   (<= 0x10000; window is [STACK_TOP-stack_len, STACK_TOP))
 *    28   u32   reserved (0)
 *    32   u64[16] input GPRs in SDM order: rax rcx rdx rbx rsp rbp rsi rdi
 *                 r8..r15 (32-bit mode uses the low 32 bits of the first 8)
 *   160   u64   input RFLAGS; only CF PF AF ZF SF DF OF (mask 0xED5) are
 *               taken, bit 1 and IF are forced to 1, all others 0.
 *   168   code_len bytes of code, then data_len bytes, then stack_len bytes.
 *
 * stdout: a 16-byte stream header, then one result record per case.
 *   Stream header:
 *     0   u32   magic 0x31485254 ("TRH1")
 *     4   u32   version (1)
 *     8   u32   flags: bit0 = guest syscalls are blocked by seccomp,
 *                      bit1 = FSGSBASE available,
 *                      bit2 = some harness memory lies below 4 GiB (a
 *                             non-PIE build: less robust against guests),
 *                      bit3 = PKRU (OSPKE) present, restored after cases
 *    12   u32   reserved
 *   Result record:
 *     0   u32   magic 0x53455254 ("TRES")
 *     4   u32   status: 0 = ran to CODE+len, 1 = fault (signal), 2 = timeout
 *     8   u32   signal number (0 if status 0)
 *    12   u32   x86 vector (uc_mcontext REG_TRAPNO) if status 1;
 *               0xFFFFFFFF for SIGSYS (blocked syscall); 0 otherwise
 *    16   u32   error code (REG_ERR) if status 1, else 0
 *    20   u32   mode (echo)
 *    24   u64   rip: CODE+len on success, faulting/interrupted RIP otherwise
 *    32   u64   fault address (siginfo si_addr; CR2 for #PF), else 0
 *    40   u64[16] output GPRs (SDM order).  32-bit mode: low 32 bits of
 *                 eax..edi zero-extended, r8..r15 reported as 0.
 *   168   u64   output RFLAGS (RF masked off; 32-bit mode: low 32 bits)
 *   176   u32   data_off (echo)
 *   180   u32   data_len (echo)
 *   184   u32   stack_len (echo)
 *   188   u32   reserved
 *   192   data_len bytes of DATA window, then stack_len bytes of STACK window.
 *
 * On a malformed record the harness prints a message on stderr and exits 2.
 *
 * Not captured / caveats: only GPRs, RFLAGS and the two windows are reported
 * (no x87/SSE/AVX, segment or FS/GS base state); SGDT/SIDT/SLDT/SMSW/STR are
 * emulated by the kernel under UMIP and return dummy values; CPUID, RDTSC,
 * RDRAND and friends are host-specific; a trap on the last instruction
 * (single-step) is reported at CODE+len; a guest that switches modes itself
 * must be back in the case's mode when it reaches CODE+len; writes to the
 * HARN area give undefined results (but the harness survives them).
 *
 * ---------------------------------------------------------------------------
 * How a case runs
 * ---------------------------------------------------------------------------
 * enter_guest() saves the host callee-saved registers and host RSP in the
 * state block, sets the FS base to 0 (so fs: guest accesses cannot reach the
 * harness's TLS; the GS base is 0 already), resets x87/SSE (FNINIT,
 * MXCSR=0x1F80, xmm0-15 = 0), then
 *  - 64-bit: switches to the private stack, POPFQ the input flags, loads all
 *    16 GPRs (RSP last) with absolute movs and does `jmp *[CODE entry]`.
 *  - 32-bit: loads DS/ES/SS with the flat user selector 0x2B and does a far
 *    `ljmp` (m16:32, no stack use) to a 32-bit stub in CS 0x23, which POPFs
 *    on the private stack, loads eax..edi (esp last) and jumps to CODE.
 * The epilogue reached from CODE+len stores every GPR with absolute movs
 * (RSP first), switches to the private stack, PUSHF/POP into the state
 * block, and (32-bit) far-jumps back to CS 0x33, restores the host RSP and
 * jumps back into enter_guest, which resets RFLAGS to 0x202 (DF/AC/TF clear)
 * and the FPU before returning to C.
 *
 * CPU exceptions arrive as SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP on an
 * alternate stack; the handler copies registers, vector, error code and RIP
 * out of the ucontext and siglongjmps back.  A per-case ITIMER_REAL
 * (SIGALRM) turns an endless loop into a timeout record.  After every case
 * FS/GS (selector and base), DS/ES, PKRU and RFLAGS are restored for the C
 * code.
 * Guest `syscall`/`int 0x80`/`sysenter` from the CODE region are refused by
 * a seccomp filter keyed on the instruction pointer (SIGSYS -> fault record
 * with vector 0xFFFFFFFF) when seccomp is available.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <cpuid.h>

#if !defined(__x86_64__) || !defined(__linux__)
#error "the host-CPU harness needs x86-64 Linux"
#endif

/* Plain integer literals: these are also pasted into assembler source. */
#define CODE_ADDR 0x10000000
#define CODE_MAP 0x2000
#define CODE_MAX 4096
#define DATA_ADDR 0x20000000
#define DATA_SIZE 0x10000
#define STACK_ADDR 0x30000000
#define STACK_SIZE 0x10000
#define STACK_TOP (STACK_ADDR + STACK_SIZE)
#define HARN_ADDR 0x0F000000
#define HARN_SIZE 0x10000
#define ST_ADDR 0x0F001000
#define PRIV_TOP 0x0F010000

#define USER32_CS 0x23
#define USER_DS 0x2B
#define USER64_CS 0x33

#define IN_FLAGS_MASK 0xED5u /* CF PF AF ZF SF DF OF */
#define FLAGS_FORCED 0x202u  /* bit 1, IF */
#define FLAG_RF 0x10000u

#define CASE_MAGIC 0x53414354u
#define RES_MAGIC 0x53455254u
#define STREAM_MAGIC 0x31485254u

#define STR_(x) #x
#define XS(x) STR_(x)

/* State block shared with the assembler stubs (offsets checked below). */
struct state {
    uint64_t in[16];      /* 0x000 */
    uint64_t in_rflags;   /* 0x080 */
    uint64_t out[16];     /* 0x088 */
    uint64_t out_rflags;  /* 0x108 */
    uint64_t host_rsp;    /* 0x110 */
    uint64_t host_resume; /* 0x118 */
    uint64_t code_entry;  /* 0x120 */
    uint32_t far_pro32_off; /* 0x128: m16:32 far pointer to the 32-bit prologue */
    uint16_t far_pro32_sel;
    uint16_t pad0;
    uint32_t far_ret64_off; /* 0x130: m16:32 far pointer back to 64-bit code */
    uint16_t far_ret64_sel;
    uint16_t pad1;
};
_Static_assert(offsetof(struct state, in_rflags) == 0x80, "layout");
_Static_assert(offsetof(struct state, out) == 0x88, "layout");
_Static_assert(offsetof(struct state, out_rflags) == 0x108, "layout");
_Static_assert(offsetof(struct state, host_rsp) == 0x110, "layout");
_Static_assert(offsetof(struct state, host_resume) == 0x118, "layout");
_Static_assert(offsetof(struct state, code_entry) == 0x120, "layout");
_Static_assert(offsetof(struct state, far_pro32_off) == 0x128, "layout");
_Static_assert(offsetof(struct state, far_ret64_off) == 0x130, "layout");

#define ST ((volatile struct state *)(uintptr_t)ST_ADDR)

/* ------------------------------------------------------------------------ */
/* Assembler: symbolic addresses, the host-side entry and the copied stubs. */
/* ------------------------------------------------------------------------ */
__asm__(
    ".set ST_IN,          " XS(ST_ADDR) "\n"
    ".set ST_IN_RFLAGS,   " XS(ST_ADDR) "+0x080\n"
    ".set ST_OUT,         " XS(ST_ADDR) "+0x088\n"
    ".set ST_OUT_RFLAGS,  " XS(ST_ADDR) "+0x108\n"
    ".set ST_HOST_RSP,    " XS(ST_ADDR) "+0x110\n"
    ".set ST_HOST_RESUME, " XS(ST_ADDR) "+0x118\n"
    ".set ST_CODE_ENTRY,  " XS(ST_ADDR) "+0x120\n"
    ".set ST_FAR_PRO32,   " XS(ST_ADDR) "+0x128\n"
    ".set ST_FAR_RET64,   " XS(ST_ADDR) "+0x130\n"
    ".set PRIV_TOP,       " XS(PRIV_TOP) "\n"

    /* void enter_guest(int mode) -- ordinary 64-bit host code. */
    ".text\n"
    ".globl enter_guest\n"
    ".type enter_guest,@function\n"
    "enter_guest:\n"
    "  pushq %rbx\n  pushq %rbp\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movl %edi, %ebx\n"
    "  movq %rsp, ST_HOST_RSP\n"
    "  leaq 9f(%rip), %rax\n"
    "  movq %rax, ST_HOST_RESUME\n"
    /* FS base = 0 while the guest runs: fs-prefixed guest accesses must not
     * reach (and corrupt) the harness's TLS.  C code must not touch TLS until
     * restore_fs() has run. */
    "  cmpl $0, tramp_have_fsgsbase(%rip)\n"
    "  je 3f\n"
    "  xorl %eax, %eax\n"
    "  wrfsbase %rax\n"
    "  jmp 4f\n"
    "3:\n"
    "  movl $158, %eax\n" /* arch_prctl(ARCH_SET_FS, 0) */
    "  movl $0x1002, %edi\n"
    "  xorl %esi, %esi\n"
    "  syscall\n"
    "4:\n"
    "  fninit\n"
    "  ldmxcsr tramp_mxcsr_default(%rip)\n"
    "  pxor %xmm0,%xmm0\n  pxor %xmm1,%xmm1\n  pxor %xmm2,%xmm2\n  pxor %xmm3,%xmm3\n"
    "  pxor %xmm4,%xmm4\n  pxor %xmm5,%xmm5\n  pxor %xmm6,%xmm6\n  pxor %xmm7,%xmm7\n"
    "  pxor %xmm8,%xmm8\n  pxor %xmm9,%xmm9\n  pxor %xmm10,%xmm10\n  pxor %xmm11,%xmm11\n"
    "  pxor %xmm12,%xmm12\n  pxor %xmm13,%xmm13\n  pxor %xmm14,%xmm14\n  pxor %xmm15,%xmm15\n"
    "  cmpl $32, %ebx\n"
    "  je 2f\n"
    /* 64-bit guest */
    "  movq ST_IN_RFLAGS, %rax\n"
    "  movq $PRIV_TOP, %rsp\n"
    "  pushq %rax\n"
    "  popfq\n"
    "  movq ST_IN+0x00, %rax\n"
    "  movq ST_IN+0x08, %rcx\n"
    "  movq ST_IN+0x10, %rdx\n"
    "  movq ST_IN+0x18, %rbx\n"
    "  movq ST_IN+0x28, %rbp\n"
    "  movq ST_IN+0x30, %rsi\n"
    "  movq ST_IN+0x38, %rdi\n"
    "  movq ST_IN+0x40, %r8\n"
    "  movq ST_IN+0x48, %r9\n"
    "  movq ST_IN+0x50, %r10\n"
    "  movq ST_IN+0x58, %r11\n"
    "  movq ST_IN+0x60, %r12\n"
    "  movq ST_IN+0x68, %r13\n"
    "  movq ST_IN+0x70, %r14\n"
    "  movq ST_IN+0x78, %r15\n"
    "  movq ST_IN+0x20, %rsp\n"
    "  jmpq *ST_CODE_ENTRY\n"
    /* 32-bit guest: flat data selectors, then far jump (m16:32) to CS 0x23 */
    "2:\n"
    "  movl $" XS(USER_DS) ", %eax\n"
    "  movw %ax, %ds\n"
    "  movw %ax, %es\n"
    "  movw %ax, %ss\n"
    "  ljmpl *ST_FAR_PRO32\n"
    /* resume point: host RSP already restored by the stub */
    "9:\n"
    "  pushq $0x202\n"
    "  popfq\n"
    "  fninit\n"
    "  ldmxcsr tramp_mxcsr_default(%rip)\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbp\n  popq %rbx\n"
    "  ret\n"
    ".size enter_guest, .-enter_guest\n"

    ".section .rodata\n"
    ".align 4\n"
    "tramp_mxcsr_default: .long 0x1f80\n"

    /* Stubs: position independent (absolute addresses only), copied to HARN. */
    ".section .rodata.tramp_stubs,\"a\"\n"
    ".globl tramp_stub_begin, tramp_pro32, tramp_epi32, tramp_ret64, tramp_epi64, tramp_stub_end\n"
    "tramp_stub_begin:\n"
    ".code32\n"
    "tramp_pro32:\n"
    "  movl $PRIV_TOP, %esp\n"
    "  pushl ST_IN_RFLAGS\n"
    "  popfl\n"
    "  movl ST_IN+0x00, %eax\n"
    "  movl ST_IN+0x08, %ecx\n"
    "  movl ST_IN+0x10, %edx\n"
    "  movl ST_IN+0x18, %ebx\n"
    "  movl ST_IN+0x28, %ebp\n"
    "  movl ST_IN+0x30, %esi\n"
    "  movl ST_IN+0x38, %edi\n"
    "  movl ST_IN+0x20, %esp\n"
    "  jmpl *ST_CODE_ENTRY\n"
    "  .p2align 4, 0xcc\n"
    "tramp_epi32:\n"
    "  movl %esp, ST_OUT+0x20\n"
    "  movl %eax, ST_OUT+0x00\n"
    "  movl %ecx, ST_OUT+0x08\n"
    "  movl %edx, ST_OUT+0x10\n"
    "  movl %ebx, ST_OUT+0x18\n"
    "  movl %ebp, ST_OUT+0x28\n"
    "  movl %esi, ST_OUT+0x30\n"
    "  movl %edi, ST_OUT+0x38\n"
    "  movl $PRIV_TOP, %esp\n"
    "  pushfl\n"
    "  popl ST_OUT_RFLAGS\n"
    "  ljmpl *ST_FAR_RET64\n"
    ".code64\n"
    "  .p2align 4, 0xcc\n"
    "tramp_ret64:\n"
    "  movq ST_HOST_RSP, %rsp\n"
    "  jmpq *ST_HOST_RESUME\n"
    "  .p2align 4, 0xcc\n"
    "tramp_epi64:\n"
    "  movq %rsp, ST_OUT+0x20\n"
    "  movq %rax, ST_OUT+0x00\n"
    "  movq %rcx, ST_OUT+0x08\n"
    "  movq %rdx, ST_OUT+0x10\n"
    "  movq %rbx, ST_OUT+0x18\n"
    "  movq %rbp, ST_OUT+0x28\n"
    "  movq %rsi, ST_OUT+0x30\n"
    "  movq %rdi, ST_OUT+0x38\n"
    "  movq %r8,  ST_OUT+0x40\n"
    "  movq %r9,  ST_OUT+0x48\n"
    "  movq %r10, ST_OUT+0x50\n"
    "  movq %r11, ST_OUT+0x58\n"
    "  movq %r12, ST_OUT+0x60\n"
    "  movq %r13, ST_OUT+0x68\n"
    "  movq %r14, ST_OUT+0x70\n"
    "  movq %r15, ST_OUT+0x78\n"
    "  movq $PRIV_TOP, %rsp\n"
    "  pushfq\n"
    "  popq ST_OUT_RFLAGS\n"
    "  movq ST_HOST_RSP, %rsp\n"
    "  jmpq *ST_HOST_RESUME\n"
    "tramp_stub_end:\n"
    ".text\n");

extern void enter_guest(int mode);
extern const char tramp_stub_begin[], tramp_pro32[], tramp_epi32[], tramp_ret64[],
    tramp_epi64[], tramp_stub_end[];

#define STUB_ADDR(sym) ((uint64_t)HARN_ADDR + (uint64_t)((sym) - tramp_stub_begin))

/* ------------------------------------------------------------------------ */

struct case_hdr {
    uint32_t magic;
    uint8_t mode;
    uint8_t rsv[3];
    uint32_t timeout_ms;
    uint32_t code_len;
    uint32_t data_off;
    uint32_t data_len;
    uint32_t stack_len;
    uint32_t rsv2;
    uint64_t regs[16];
    uint64_t rflags;
};
_Static_assert(sizeof(struct case_hdr) == 168, "case header size");

struct res_hdr {
    uint32_t magic;
    uint32_t status;
    uint32_t signo;
    uint32_t vector;
    uint32_t error_code;
    uint32_t mode;
    uint64_t rip;
    uint64_t addr;
    uint64_t regs[16];
    uint64_t rflags;
    uint32_t data_off;
    uint32_t data_len;
    uint32_t stack_len;
    uint32_t rsv;
};
_Static_assert(sizeof(struct res_hdr) == 192, "result header size");

static sigjmp_buf g_jb;
static volatile sig_atomic_t g_in_guest;
static struct res_hdr g_res;
static uint64_t g_epi_entry; /* epilogue entry of the current case */
static uint64_t g_end;       /* CODE + code_len of the current case */

int tramp_have_fsgsbase; /* read by enter_guest */
#define have_fsgsbase tramp_have_fsgsbase
static int have_pkru;
static uint32_t host_pkru;
static uint16_t host_ds, host_es, host_fs, host_gs;
static uint64_t host_fs_base, host_gs_base;

static long raw_syscall2(long nr, long a, long b) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

#define SYS_ARCH_PRCTL 158
#define ARCH_SET_GS_ 0x1001
#define ARCH_SET_FS_ 0x1002
#define ARCH_GET_FS_ 0x1003
#define ARCH_GET_GS_ 0x1004

static inline uint16_t get_fs_sel(void) { uint16_t s; __asm__ volatile("movw %%fs,%0" : "=r"(s)); return s; }
static inline uint16_t get_gs_sel(void) { uint16_t s; __asm__ volatile("movw %%gs,%0" : "=r"(s)); return s; }
static inline uint16_t get_ds_sel(void) { uint16_t s; __asm__ volatile("movw %%ds,%0" : "=r"(s)); return s; }
static inline uint16_t get_es_sel(void) { uint16_t s; __asm__ volatile("movw %%es,%0" : "=r"(s)); return s; }

/* Restore FS (TLS!) -- must run before any code that touches TLS, including
 * siglongjmp's pointer demangling.  Async-signal-safe, no errno. */
static void restore_fs(void) {
    if (get_fs_sel() != host_fs) __asm__ volatile("movw %0,%%fs" : : "r"(host_fs));
    if (have_fsgsbase) __asm__ volatile("wrfsbase %0" : : "r"(host_fs_base));
    else raw_syscall2(SYS_ARCH_PRCTL, ARCH_SET_FS_, (long)host_fs_base);
}

/* Guest WRPKRU could deny the harness access to its own memory. */
static inline void restore_pkru(void) {
    if (!have_pkru) return;
    uint32_t cur;
    __asm__ volatile("rdpkru" : "=a"(cur) : "c"(0) : "rdx");
    if (cur != host_pkru) __asm__ volatile("wrpkru" : : "a"(host_pkru), "c"(0), "d"(0) : "memory");
}

static void restore_other_segs(void) {
    if (get_ds_sel() != host_ds) __asm__ volatile("movw %0,%%ds" : : "r"(host_ds));
    if (get_es_sel() != host_es) __asm__ volatile("movw %0,%%es" : : "r"(host_es));
    if (get_gs_sel() != host_gs) {
        __asm__ volatile("movw %0,%%gs" : : "r"(host_gs));
        if (have_fsgsbase) __asm__ volatile("wrgsbase %0" : : "r"(host_gs_base));
        else raw_syscall2(SYS_ARCH_PRCTL, ARCH_SET_GS_, (long)host_gs_base);
    } else if (have_fsgsbase) {
        uint64_t b;
        __asm__ volatile("rdgsbase %0" : "=r"(b));
        if (b != host_gs_base) __asm__ volatile("wrgsbase %0" : : "r"(host_gs_base));
    }
}

static const int greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                REG_R12, REG_R13, REG_R14, REG_R15};

static void on_signal(int sig, siginfo_t *si, void *vctx) {
    /* The kernel clears DF/TF for the handler; clear AC too (glibc memcpy
     * does unaligned accesses).  -mno-red-zone makes the push safe. */
    __asm__ volatile("pushfq\n\tandq $~0x40400, (%%rsp)\n\tpopfq" ::: "memory", "cc");
    if (!g_in_guest) {
        if (sig == SIGALRM) return; /* stale timer, ignore */
        /* A fault in the harness itself: die with the default action. */
        signal(sig, SIG_DFL);
        return;
    }
    restore_pkru();
    restore_fs();
    ucontext_t *uc = (ucontext_t *)vctx;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t rip = (uint64_t)g[REG_RIP];
    uint16_t cs = (uint16_t)((uint64_t)g[REG_CSGSFS] & 0xffff);
    int is32 = (cs != USER64_CS);
    for (int i = 0; i < 16; i++) {
        uint64_t v = (uint64_t)g[greg_of[i]];
        if (is32) v = (i < 8) ? (v & 0xffffffffu) : 0;
        g_res.regs[i] = v;
    }
    uint64_t fl = (uint64_t)g[REG_EFL] & ~(uint64_t)FLAG_RF;
    if (is32) fl &= 0xffffffffu;
    g_res.rflags = fl;
    g_res.rip = is32 ? (rip & 0xffffffffu) : rip;
    if (rip == g_epi_entry) {
        /* Interrupted/faulted on the very first epilogue instruction (e.g.
         * 32-bit code left DS unusable): the guest did complete. */
        g_res.status = 0;
        g_res.signo = 0;
        g_res.rip = g_end;
    } else if (sig == SIGALRM) {
        g_res.status = 2;
        g_res.signo = SIGALRM;
    } else {
        g_res.status = 1;
        g_res.signo = (uint32_t)sig;
        g_res.vector = (sig == SIGSYS) ? 0xFFFFFFFFu : (uint32_t)g[REG_TRAPNO];
        g_res.error_code = (sig == SIGSYS) ? 0 : (uint32_t)g[REG_ERR];
        g_res.addr = (uint64_t)(uintptr_t)si->si_addr;
    }
    g_in_guest = 0;
    siglongjmp(g_jb, 1);
}

static void die(const char *msg) {
    fprintf(stderr, "trampoline harness: %s\n", msg);
    exit(2);
}

static void map_fixed(uintptr_t addr, size_t len, int prot, const char *what) {
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
    void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && p != (void *)addr) { /* kernel < 4.17 ignores NOREPLACE: it was only a hint */
        munmap(p, len);
        p = MAP_FAILED;
        errno = EEXIST;
    }
    if (p != (void *)addr) {
        fprintf(stderr, "trampoline harness: cannot map %s at %#lx: %s\n", what, (unsigned long)addr,
                strerror(errno));
        exit(3);
    }
}

/* Count mappings below 4 GiB other than ours (32-bit guest code could
 * scribble on them): there should be none with a PIE build. */
static int foreign_low_mappings(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
        if (lo >= 0x100000000UL) continue;
        if (lo >= HARN_ADDR && hi <= HARN_ADDR + HARN_SIZE) continue;
        if (lo >= CODE_ADDR && hi <= CODE_ADDR + CODE_MAP) continue;
        if (lo >= DATA_ADDR && hi <= DATA_ADDR + DATA_SIZE) continue;
        if (lo >= STACK_ADDR && hi <= STACK_ADDR + STACK_SIZE) continue;
        n++;
    }
    fclose(f);
    return n;
}

static int install_seccomp(void) {
    /* Trap every syscall whose instruction pointer lies in the CODE region. */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, CODE_ADDR, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, CODE_ADDR + CODE_MAP, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 0;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return 0;
    return 1;
}

static void read_exact(void *buf, size_t n) {
    if (n && fread(buf, 1, n, stdin) != n) die("truncated case record");
}

static void write_exact(const void *buf, size_t n) {
    if (n && fwrite(buf, 1, n, stdout) != n) die("write failed");
}

int main(void) {
    static char inbuf[1 << 20], outbuf[1 << 20];
    setvbuf(stdin, inbuf, _IOFBF, sizeof inbuf);
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    map_fixed(HARN_ADDR, HARN_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, "harness area");
    map_fixed(CODE_ADDR, CODE_MAP, PROT_READ | PROT_WRITE | PROT_EXEC, "CODE");
    map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE, "DATA");
    map_fixed(STACK_ADDR, STACK_SIZE, PROT_READ | PROT_WRITE, "STACK");

    size_t stub_len = (size_t)(tramp_stub_end - tramp_stub_begin);
    if (stub_len > 0x1000) die("stubs too large");
    memset((void *)(uintptr_t)HARN_ADDR, 0xCC, 0x1000);
    memcpy((void *)(uintptr_t)HARN_ADDR, tramp_stub_begin, stub_len);
    if (mprotect((void *)(uintptr_t)HARN_ADDR, 0x1000, PROT_READ | PROT_EXEC) != 0) die("mprotect stubs");
    if (mprotect((void *)(uintptr_t)(HARN_ADDR + 0x1000), HARN_SIZE - 0x1000, PROT_READ | PROT_WRITE) != 0)
        die("mprotect state");

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
    have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
    {
        unsigned a, b, c, d;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 4))) { /* OSPKE */
            have_pkru = 1;
            __asm__ volatile("rdpkru" : "=a"(host_pkru) : "c"(0) : "rdx");
        }
    }
    int low_mappings = foreign_low_mappings();
    host_ds = get_ds_sel();
    host_es = get_es_sel();
    host_fs = get_fs_sel();
    host_gs = get_gs_sel();
    if (raw_syscall2(SYS_ARCH_PRCTL, ARCH_GET_FS_, (long)&host_fs_base) != 0) die("arch_prctl(GET_FS)");
    if (raw_syscall2(SYS_ARCH_PRCTL, ARCH_GET_GS_, (long)&host_gs_base) != 0) die("arch_prctl(GET_GS)");

    /* Alternate signal stack: guest RSP can be anything. */
    static char altstack[256 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    /* SA_NODEFER: we leave the handler by siglongjmp without restoring the
     * mask, so the signal must not be blocked while handling it. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");

    int seccomp_on = install_seccomp();

    uint32_t stream_hdr[4] = {STREAM_MAGIC, 1,
                              (uint32_t)(seccomp_on ? 1 : 0) | (have_fsgsbase ? 2u : 0u) |
                                  (low_mappings ? 4u : 0u) | (have_pkru ? 8u : 0u),
                              0};
    write_exact(stream_hdr, sizeof stream_hdr);

    uint8_t *code = (uint8_t *)(uintptr_t)CODE_ADDR;
    uint8_t *data = (uint8_t *)(uintptr_t)DATA_ADDR;
    uint8_t *stack = (uint8_t *)(uintptr_t)STACK_ADDR;
    struct case_hdr h;

    for (;;) {
        size_t got = fread(&h, 1, sizeof h, stdin);
        if (got == 0 && feof(stdin)) break;
        if (got != sizeof h) die("truncated case header");
        if (h.magic != CASE_MAGIC) die("bad case magic");
        if (h.mode != 64 && h.mode != 32) die("mode must be 64 or 32");
        if (h.code_len > CODE_MAX) die("code_len > 4096");
        if (h.data_off > DATA_SIZE || h.data_len > DATA_SIZE - h.data_off) die("data window out of range");
        if (h.stack_len > STACK_SIZE) die("stack window out of range");

        memset(code, 0xCC, CODE_MAP);
        read_exact(code, h.code_len);
        memset(data, 0, DATA_SIZE);
        read_exact(data + h.data_off, h.data_len);
        memset(stack, 0, STACK_SIZE);
        read_exact(stack + STACK_SIZE - h.stack_len, h.stack_len);

        g_epi_entry = (h.mode == 64) ? STUB_ADDR(tramp_epi64) : STUB_ADDR(tramp_epi32);
        uint64_t end = CODE_ADDR + h.code_len;
        g_end = end;
        int32_t rel = (int32_t)(int64_t)(g_epi_entry - (end + 5));
        code[h.code_len] = 0xE9;
        memcpy(code + h.code_len + 1, &rel, 4);

        /* (re)written every case: a stray guest store may have hit them */
        ST->code_entry = CODE_ADDR;
        ST->far_pro32_off = (uint32_t)STUB_ADDR(tramp_pro32);
        ST->far_pro32_sel = USER32_CS;
        ST->far_ret64_off = (uint32_t)STUB_ADDR(tramp_ret64);
        ST->far_ret64_sel = USER64_CS;
        for (int i = 0; i < 16; i++) {
            ST->in[i] = h.regs[i];
            ST->out[i] = 0;
        }
        ST->in_rflags = (h.rflags & IN_FLAGS_MASK) | FLAGS_FORCED;
        ST->out_rflags = 0;

        memset(&g_res, 0, sizeof g_res);
        g_res.magic = RES_MAGIC;
        g_res.mode = h.mode;
        g_res.data_off = h.data_off;
        g_res.data_len = h.data_len;
        g_res.stack_len = h.stack_len;

        uint32_t tmo = h.timeout_ms ? h.timeout_ms : 1000;
        struct itimerval it = {{0, 0}, {tmo / 1000, (tmo % 1000) * 1000}};
        setitimer(ITIMER_REAL, &it, NULL);

        if (sigsetjmp(g_jb, 0) == 0) {
            g_in_guest = 1;
            enter_guest(h.mode);
            g_in_guest = 0;
            restore_fs();
            restore_pkru();
            g_res.status = 0;
            g_res.rip = end;
            for (int i = 0; i < 16; i++) g_res.regs[i] = ST->out[i];
            g_res.rflags = ST->out_rflags & ~(uint64_t)FLAG_RF;
        } else {
            /* Back from the signal handler (FS already restored there). */
            __asm__ volatile("pushfq\n\tandq $~0x40500, (%%rsp)\n\tpopfq\n\tfninit\n\tldmxcsr %0"
                             : : "m"(*(const uint32_t[]){0x1f80}) : "memory", "cc");
        }
        restore_other_segs();

        write_exact(&g_res, sizeof g_res);
        write_exact(data + h.data_off, h.data_len);
        write_exact(stack + STACK_SIZE - h.stack_len, h.stack_len);
    }

    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    if (fflush(stdout) != 0) die("write failed");
    return 0;
}
