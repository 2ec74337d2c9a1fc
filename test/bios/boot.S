# boot.S: a boot sector (and a 7-sector second stage it loads) that exercises the BIOS services:
# int 10h output, int 13h CHS and LBA reads/writes and parameters, missing drives, int 15h memory map
# and A20, int 11h/12h/16h/1Ah, the BDA. Every character goes to port 0xE9 and to int 10h AH=0Eh.
# Lines starting with '~' depend on the BIOS vendor (bios.test.ts compares them only on ours).
# Disk layout (bios.test.ts builds it): sector 20, 21, 1100, 1500 hold ASCIIZ strings; 1600 is written.
        .code16
        .text
        .globl _start
_start:
        ljmp    $0, $1f
1:      xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %sp
        cld
        mov     %dl, boot_drive
        # Stage 2: sectors 1–7 (CHS 0/0/2..8) to 0x7E00.
        mov     $0x0207, %ax
        mov     $0x0002, %cx
        xor     %dh, %dh
        mov     $0x7e00, %bx
        int     $0x13
        jc      1f
        jmp     stage2
1:      call print_inline
        .asciz  "stage 2 load failed\r\n"
        jmp     exit

        .macro PR s
        call    print_inline
        .asciz  "\s"
        .endm

# putc: AL to port 0xE9 and to int 10h teletype; preserves every register.
putc:   push    %ax
        push    %bx
        out     %al, $0xe9
        mov     $0x0e, %ah
        mov     $0x0007, %bx
        int     $0x10
        pop     %bx
        pop     %ax
        ret

# print_inline: prints the ASCIIZ string after the call and returns past it.
print_inline:
        push    %bp
        mov     %sp, %bp
        push    %si
        push    %ax
        mov     2(%bp), %si
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      mov     %si, 2(%bp)
        pop     %ax
        pop     %si
        pop     %bp
        ret

# print_str: the ASCIIZ string at DS:SI.
print_str:
        push    %ax
        push    %si
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      pop     %si
        pop     %ax
        ret

print_hex8:
        push    %ax
        shr     $4, %al
        call    nibble
        pop     %ax
        push    %ax
        and     $0xf, %al
        call    nibble
        pop     %ax
        ret
nibble: add     $'0', %al
        cmp     $'9', %al
        jbe     1f
        add     $7, %al
1:      call    putc
        ret
print_hex16:
        push    %ax
        mov     %ah, %al
        call    print_hex8
        pop     %ax
        call    print_hex8
        ret
print_hex32:
        push    %eax
        shr     $16, %eax
        call    print_hex16
        pop     %eax
        call    print_hex16
        ret

exit:   PR      "done\r\n"
        mov     $0, %al
        out     %al, $0xf4
        cli
1:      hlt
        jmp     1b

boot_drive: .byte 0
        .org    510
        .byte   0x55, 0xaa

# ---------------------------------------------------------------------------------------------
stage2:
        PR      "int10 teletype ok\r\n"
        PR      "abc"
        mov     $0x03, %ah
        xor     %bh, %bh
        int     $0x10
        PR      " cursor col="
        mov     %dl, %al
        call    print_hex8
        PR      "\r\n"

        # int 13h AH=02h CHS: C0 H0 S21 (LBA 20), one sector.
        PR      "chs 0/0/21:"
        mov     $0x0201, %ax
        mov     $21, %cx
        xor     %dh, %dh
        mov     boot_drive, %dl
        mov     $0x9000, %bx
        int     $0x13
        call    status
        mov     $0x9000, %si
        call    print_str
        PR      "\r\n"

        # Two sectors, LBA 20 and 21: the second string lands at 0x9200.
        PR      "chs 0/0/21 x2:"
        mov     $0x0202, %ax
        mov     $21, %cx
        xor     %dh, %dh
        mov     boot_drive, %dl
        mov     $0x9000, %bx
        int     $0x13
        call    status
        mov     $0x9200, %si
        call    print_str
        PR      "\r\n"

        # LBA 1100 = cylinder 1, head 1, sector 30 (16 heads, 63 sectors).
        PR      "chs 1/1/30:"
        mov     $0x0201, %ax
        mov     $0x011e, %cx
        mov     $0x01, %dh
        mov     boot_drive, %dl
        mov     $0x9000, %bx
        int     $0x13
        call    status
        mov     $0x9000, %si
        call    print_str
        PR      "\r\n"

        # int 13h AH=41h: EDD present?
        PR      "edd:"
        mov     $0x41, %ah
        mov     $0x55aa, %bx
        mov     boot_drive, %dl
        int     $0x13
        setc    cf_value
        PR      " BX="
        mov     %bx, %ax
        call    print_hex16
        PR      " CX.0="
        mov     %cl, %al
        and     $1, %al
        call    print_hex8
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n"

        # int 13h AH=42h: LBA 1500 to 0000:9000.
        PR      "lba 1500:"
        movw    $1, dap_count
        movl    $1500, dap_lba
        mov     $0x42, %ah
        mov     boot_drive, %dl
        mov     $dap, %si
        int     $0x13
        call    status
        mov     $0x9000, %si
        call    print_str
        PR      "\r\n"

        # int 13h AH=43h: write LBA 1600 from write_data, read it back to 0000:9000.
        PR      "lba write 1600:"
        movw    $1, dap_count
        movw    $write_data, dap_buffer
        movl    $1600, dap_lba
        mov     $0x4300, %ax
        mov     boot_drive, %dl
        mov     $dap, %si
        int     $0x13
        call    status
        movw    $0x9000, dap_buffer
        movw    $0x1234, 0x9000
        PR      "lba read 1600:"
        mov     $0x42, %ah
        mov     boot_drive, %dl
        mov     $dap, %si
        int     $0x13
        call    status
        mov     $0x9000, %si
        call    print_str
        PR      "\r\n"

        # int 13h AH=08h: heads and sectors (the cylinder count is the vendor's: SeaBIOS keeps one back).
        PR      "params:"
        mov     $0x08, %ah
        mov     boot_drive, %dl
        int     $0x13
        setc    cf_value
        PR      " heads-1="
        mov     %dh, %al
        call    print_hex8
        PR      " spt="
        mov     %cl, %al
        and     $0x3f, %al
        call    print_hex8
        PR      " drives="
        mov     %dl, %al
        call    print_hex8
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n~params: CX="
        mov     %cx, %ax
        call    print_hex16
        PR      "\r\n"

        # int 13h AH=48h: total sectors, bytes per sector.
        PR      "ext params:"
        movw    $0x1a, 0x9000
        mov     $0x48, %ah
        mov     boot_drive, %dl
        mov     $0x9000, %si
        int     $0x13
        setc    cf_value
        PR      " sectors="
        mov     0x9010, %eax
        call    print_hex32
        PR      " bytes="
        mov     0x9018, %ax
        call    print_hex16
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n"

        # int 13h AH=15h: disk type.
        PR      "type:"
        mov     $0x15, %ah
        mov     boot_drive, %dl
        int     $0x13
        call    status
        PR      "~type: CX:DX="
        mov     %cx, %ax
        call    print_hex16
        mov     %dx, %ax
        call    print_hex16
        PR      "\r\n"

        # A hard disk that does not exist, and the first floppy (none attached).
        PR      "drive 81 read:"
        mov     $0x0201, %ax
        mov     $1, %cx
        xor     %dh, %dh
        mov     $0x81, %dl
        mov     $0x9000, %bx
        int     $0x13
        call    status
        PR      "floppy read:"
        mov     $0x0201, %ax
        mov     $1, %cx
        xor     %dh, %dh
        mov     $0x00, %dl
        mov     $0x9000, %bx
        int     $0x13
        setc    cf_value
        push    %ax
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n~floppy read: AH="
        pop     %ax
        mov     %ah, %al
        call    print_hex8
        PR      "\r\n"

        # int 15h E820: the map, entry by entry.
        xor     %ebx, %ebx
        xor     %bp, %bp
1:      mov     $0xe820, %eax
        mov     $0x534d4150, %edx
        mov     $20, %ecx
        mov     $0x9000, %di
        int     $0x15
        jc      2f
        cmp     $0x534d4150, %eax
        jne     2f
        test    %bp, %bp
        jnz     3f
        PR      "e820 first: base="
        mov     0x9000, %eax
        call    print_hex32
        PR      " type="
        mov     0x9010, %eax
        call    print_hex32
        PR      "\r\n"
3:      inc     %bp
        PR      "~e820 "
        mov     0x9004, %eax
        call    print_hex32
        mov     0x9000, %eax
        call    print_hex32
        PR      " "
        mov     0x900c, %eax
        call    print_hex32
        mov     0x9008, %eax
        call    print_hex32
        PR      " "
        mov     0x9010, %eax
        call    print_hex8
        PR      "\r\n"
        test    %ebx, %ebx
        jnz     1b
2:      PR      "e820 done\r\n"

        PR      "~e801: AX="
        mov     $0xe801, %ax
        int     $0x15
        call    print_hex16
        PR      " BX="
        mov     %bx, %ax
        call    print_hex16
        PR      "\r\n~88: AX="
        mov     $0x88, %ah
        int     $0x15
        call    print_hex16
        PR      "\r\n"

        # A20: enable, then ask.
        mov     $0x2401, %ax
        int     $0x15
        mov     $0x2402, %ax
        int     $0x15
        setc    cf_value
        PR      "a20 after 2401: AL="
        call    print_hex8
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n~a20 2403: BX="
        mov     $0x2403, %ax
        int     $0x15
        mov     %bx, %ax
        call    print_hex16
        PR      "\r\n"

        # int 15h C0h: system configuration table.
        mov     $0xc0, %ah
        int     $0x15
        setc    cf_value
        PR      "config table: CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n~config table: model="
        mov     %es:2(%bx), %al
        call    print_hex8
        PR      "\r\n"
        xor     %ax, %ax
        mov     %ax, %es

        # int 11h, 12h and the BDA.
        int     $0x12
        PR      "base memory KiB="
        call    print_hex16
        PR      " bda 413="
        mov     0x413, %ax
        call    print_hex16
        PR      " video mode="
        mov     0x449, %al
        call    print_hex8
        PR      " cols="
        mov     0x44a, %ax
        call    print_hex16
        PR      "\r\n~equipment: AX="
        int     $0x11
        call    print_hex16
        PR      " ebda="
        mov     0x40e, %ax
        call    print_hex16
        PR      " com1="
        mov     0x400, %ax
        call    print_hex16
        PR      "\r\n"

        # int 10h AH=0Fh: the video mode.
        mov     $0x0f, %ah
        int     $0x10
        PR      "video 0f: mode="
        call    print_hex8
        PR      " cols="
        mov     %ah, %al
        call    print_hex8
        PR      "\r\n"

        # int 1Ah: ticks and the RTC (values are the clock's).
        mov     $0x00, %ah
        int     $0x1a
        setc    cf_value
        PR      "ticks: CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n"
        clc
        mov     $0x02, %ah
        int     $0x1a
        setc    cf_value
        PR      "rtc: CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n~rtc: "
        mov     %cx, %ax
        call    print_hex16
        mov     %dh, %al
        call    print_hex8
        PR      "\r\n"

        # int 16h: a key waiting? (ours is given one; QEMU has none)
        mov     $0x01, %ah
        int     $0x16
        jz      1f
        mov     $0x00, %ah
        int     $0x16
        PR      "~key "
        call    print_hex16
        PR      "\r\n"
        jmp     2f
1:      PR      "~no key\r\n"
2:      jmp     exit

# status: prints " AH=hh CF=c\r\n" for the AX and CF an int 13h call left.
status: setc    cf_value
        PR      " AH="
        push    %ax
        mov     %ah, %al
        call    print_hex8
        PR      " CF="
        mov     cf_value, %al
        call    print_hex8
        PR      "\r\n"
        pop     %ax
        ret

cf_value:   .byte 0
write_data: .asciz "written by int 13h AH=43h"
        .align  4
dap:        .byte 0x10, 0
dap_count:  .word 1
dap_buffer: .word 0x9000, 0
dap_lba:    .long 0, 0

        .org    512 * 8
