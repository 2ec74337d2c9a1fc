# demo64.S: the `trampoline demo` guest — Fibonacci numbers in 64-bit registers, printed in decimal to
# port 0xE9 (the Bochs/QEMU debug console port), then HLT. cli/demo.ts holds these bytes and loads them
# at LOAD in flat 64-bit mode; test/cli/demo.test.ts checks the bytes still match this source.
# Only mov, add, sub, cmp, test, inc, dec, jcc/jmp, out and hlt are used, and no division: decimal digits
# come from repeated subtraction of powers of ten.
        .code64
        .text
        .equ LOAD, 0x1000               # where cli/demo.ts loads the code
        .equ PORT, 0xe9                 # debug console port

start:
        mov     $LOAD + (title - start), %esi
1:      mov     (%rsi), %al             # print the NUL-terminated title
        test    %al, %al
        jz      2f
        out     %al, $PORT
        inc     %rsi
        jmp     1b
2:
        xor     %r8d, %r8d              # r8 = F(n)
        mov     $1, %r9d                # r9 = F(n+1)
        mov     $'1', %r10d             # tens digit of n on the next line
        mov     $9, %r11d               # lines left: n = 10, 20, ... 90
next_line:
        mov     $10, %ecx
advance:                                # (F(n), F(n+1)) <- (F(n+1), F(n) + F(n+1)), ten times
        mov     %r9, %rax
        add     %r8, %r9
        mov     %rax, %r8
        dec     %ecx
        jnz     advance

        mov     $'F', %al               # "F(n0) = "
        out     %al, $PORT
        mov     $'(', %al
        out     %al, $PORT
        mov     %r10b, %al
        out     %al, $PORT
        mov     $'0', %al
        out     %al, $PORT
        mov     $')', %al
        out     %al, $PORT
        mov     $' ', %al
        out     %al, $PORT
        mov     $'=', %al
        out     %al, $PORT
        mov     $' ', %al
        out     %al, $PORT

        mov     %r8, %rdx               # print F(n) in decimal (rdx: al carries the characters)
        mov     $LOAD + (pow10 - start), %esi
        xor     %edi, %edi              # edi != 0 once a digit has been printed
digit:
        mov     $'0', %ebx
count:                                  # bl = '0' + how many times the power of ten fits
        cmp     (%rsi), %rdx
        jb      emit
        sub     (%rsi), %rdx
        inc     %ebx
        jmp     count
emit:
        cmp     $'0', %ebx              # skip leading zeros, but always print the units digit
        jne     show
        test    %edi, %edi
        jnz     show
        cmpq    $1, (%rsi)
        jne     skip
show:
        mov     %bl, %al
        out     %al, $PORT
        inc     %edi
skip:
        add     $8, %rsi
        cmpq    $0, (%rsi)              # the table ends with 0
        jne     digit

        mov     $'\n', %al
        out     %al, $PORT
        inc     %r10d
        dec     %r11d
        jnz     next_line
        hlt

title:  .asciz  "Fibonacci numbers in 64-bit registers:\n"
        .balign 8
pow10:  .quad   1000000000000000000, 100000000000000000, 10000000000000000, 1000000000000000
        .quad   100000000000000, 10000000000000, 1000000000000, 100000000000, 10000000000
        .quad   1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1, 0
