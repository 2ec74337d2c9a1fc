// fault.ts: guest exceptions as thrown values. A faulting instruction throws cpu's one preallocated
// CpuFault; only the run loop (step.ts) catches it and delivers the exception to the guest.
// It is not an Error: no stack is captured, so a fault costs no allocation.

/** Exception vectors (SDM Vol.3A §6.3.1, Table 6-1). */
export enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21,
}

export const VECTOR_NAMES: Record<number, string> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS',
  11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM', 20: '#VE', 21: '#CP',
};

/** Vectors that push an error code (SDM Vol.3A Table 6-1). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}

export class CpuFault {
  vector = 0;
  /** Error code, or -1 when the vector has none. */
  errorCode = -1;
  /** Why, in words, for traces and the debugger ("mov to CR4: LA57 cannot change while IA-32e mode is active"). */
  detail = '';

  set(vector: number, errorCode: number, detail: string): this {
    this.vector = vector;
    this.errorCode = hasErrorCode(vector) ? errorCode : -1;
    this.detail = detail;
    return this;
  }
}

/** One instance per process is enough: a fault is delivered before the next can be raised. */
const theFault = new CpuFault();

/** Throws a guest exception. `detail` is read only by traces; keep it a constant string on hot paths. */
export function raise(vector: number, errorCode = 0, detail = ''): never {
  throw theFault.set(vector, errorCode, detail);
}

/**
 * The fault object filled in without throwing: for exceptions the run loop itself raises between
 * instructions (the single-step trap, instruction breakpoints) and delivers at once.
 */
export function pendingFault(vector: number, errorCode: number, detail: string): CpuFault {
  return theFault.set(vector, errorCode, detail);
}

export function isCpuFault(e: unknown): e is CpuFault {
  return e === theFault;
}
