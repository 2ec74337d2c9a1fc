// lazyOp.ts: kinds of deferred arithmetic-flag computation (see flags.ts).
// The common flag producers record their operands and result; flags are computed only when read.
export enum LazyOp {
  None,  // cpu.flags holds the arithmetic flags
  Add,   // res = dst + src
  Adc,   // res = dst + src + 1 (carry in was set)
  Sub,   // res = dst - src (also CMP, NEG with dst = 0)
  Sbb,   // res = dst - src - 1 (borrow in was set)
  Logic, // AND, OR, XOR, TEST: CF = OF = 0
  Inc,   // res = dst + 1, CF kept in cpu.flags
  Dec,   // res = dst - 1, CF kept in cpu.flags
}
