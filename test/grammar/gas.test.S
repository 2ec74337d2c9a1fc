# SYNTAX TEST "source.gas" "GNU as AT&T syntax with the C preprocessor (the comment token is #)"
#include "../common/console.S"
# <-------- meta.preprocessor.include.gas
# <~------- keyword.control.directive.include.gas
#        ^^^^^^^^^^^^^^^^^^^^^ string.quoted.double.include.gas
#include <boot.h>
#        ^^^^^^^^ string.quoted.other.lt-gt.include.gas
#define PORT    0xe9
# <------- meta.preprocessor.macro.gas
# <~------ keyword.control.directive.define.gas
#       ^^^^ entity.name.function.preprocessor.gas
#               ^^^^ constant.numeric.hex.gas
#define BIT(n)  (1 << (n))
#       ^^^ entity.name.function.preprocessor.gas
#           ^ variable.parameter.preprocessor.gas
#                  ^^ keyword.operator.gas
#if defined(PORT) && PORT > 1
# <--- meta.preprocessor.gas
# <~-- keyword.control.directive.conditional.gas
#   ^^^^^^^ keyword.control.directive.defined.gas
#           ^^^^ entity.name.function.preprocessor.gas
#ifdef PORT
# <------ meta.preprocessor.gas
# <~----- keyword.control.directive.conditional.gas
#else
# <----- meta.preprocessor.gas
# <~---- keyword.control.directive.gas
#endif
# <------ meta.preprocessor.gas
# <~----- keyword.control.directive.gas
        .code64
#       ^^^^^^^ keyword.other.directive.gas
        .globl  start
#       ^^^^^^ keyword.other.directive.gas
#               ^^^^^ variable.other.symbol.gas
start:  movq    %rsi, %r9       # save it
# <----- entity.name.label.gas
#    ^ punctuation.separator.label.gas
#       ^^^^ keyword.other.instruction.gas
#               ^^^^ variable.language.register.gas
#                     ^^^ variable.language.register.gas
#                               ^^^^^^^^^ comment.line.number-sign.gas
1:      rep movsb
# <- entity.name.label.local.gas
#       ^^^ keyword.other.prefix.gas
#           ^^^^^ keyword.other.instruction.gas
        jnz     1b
#       ^^^ keyword.other.instruction.gas
#               ^^ entity.name.label.local.reference.gas
        movl    $0x1f, 8(%rax,%rbx,4)   /* block */
#               ^ keyword.operator.immediate.gas
#                ^^^^ constant.numeric.hex.gas
#                      ^ constant.numeric.decimal.gas
#                                       ^^^^^^^^^^^ comment.block.gas
        movw    $PORT, %dx
#                ^^^^ variable.other.symbol.gas
#                      ^^^ variable.language.register.gas
        nop; hlt
#       ^^^ keyword.other.instruction.gas
#          ^ punctuation.terminator.statement.gas
#            ^^^ keyword.other.instruction.gas
msg:    .asciz "hi\n # not a comment"
# <--- entity.name.label.gas
#       ^^^^^^ keyword.other.directive.gas
#              ^^^^^^^^^^^^^^^^^^^^^^ string.quoted.double.gas
#                 ^^ constant.character.escape.gas
#                    ^^^^^ string.quoted.double.gas - comment
        .equ    LIMIT, 0b101
#       ^^^^ keyword.other.directive.gas
#                      ^^^^^ constant.numeric.binary.gas
SIZE = 010
# <---- variable.other.constant.gas
#    ^ keyword.operator.assignment.gas
#      ^^^ constant.numeric.octal.gas
        movb    $'0', %al
#                ^^^ constant.character.gas
        .macro  out1 v
#       ^^^^^^ keyword.other.directive.gas
        movb    $\v, %al
#                ^^ variable.parameter.macro.gas
        .endm
#       ^^^^^ keyword.other.directive.gas
/* a block
# <---------- comment.block.gas
   comment */ nop
# <------------- comment.block.gas
#             ^^^ keyword.other.instruction.gas
.Lend:  ret
# <----- entity.name.label.gas
#       ^^^ keyword.other.instruction.gas
        ljmp    $0x08, $pm32
#       ^^^^ keyword.other.instruction.gas
#                       ^^^^ variable.other.symbol.gas
        movw    %es:(%bx), %ax
#               ^^^ variable.language.register.gas
#                   ^ punctuation.section.parens.gas
        .type   start, @function
#                      ^^^^^^^^^ support.constant.type.gas
