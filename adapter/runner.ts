// runner.ts: run control — continue, pause, step by instruction or line, step over calls, step out —
// on top of the emulator's bounded, synchronous run(). The machine runs in slices of about 10 ms with
// setImmediate between them, so a pause request is answered within one slice even in a tight guest loop;
// a stop is reported once, after the request's response. Also turns the CPU's events into the exception
// filters' stops (mode switch, control-register write, exception, triple fault, halt) and the mode history.
import { attachEvents } from '../emulator/cpu/events';
import { VECTOR_NAMES, hasErrorCode } from '../emulator/cpu/fault';
import { Reg } from '../emulator/cpu/state';
import { StopReason } from '../emulator/cpu/step';
import { Breakpoints } from './breakpoints';
import { instructionAt, isCall, isReturn } from './code';
import { Debuggee } from './debuggee';
import { SourceLocation, hexAddress } from './symbols';
import { BIT_FIELDS } from './bitFields';
import { hexPad } from './format';
import { pageFaultCode } from './replSystem';

export type FilterId = 'modeSwitch' | 'crWrite' | 'exception' | 'tripleFault' | 'halt';

export interface Stop {
  /** DAP stopped reason. */
  reason: 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause' | 'goto';
  description: string;
  /** Longer words for the exception widget. */
  text?: string;
  hitBreakpointIds?: number[];
  /** For exceptionInfo: the filter that stopped. */
  filter?: FilterId;
}

export interface RunnerHost {
  stopped(s: Stop): void;
  terminated(exitCode: number | null, message: string): void;
  output(text: string, category: 'console' | 'stdout' | 'stderr' | 'important'): void;
  /** State changed without a stop the client saw (views refresh). */
  changed?(): void;
}

type Task =
  | { kind: 'continue' }
  | { kind: 'instruction'; over: boolean }
  | { kind: 'line'; over: boolean; from: SourceLocation | null; count: number }
  | { kind: 'out'; rsp: number };

const SLICE_MS = 10;
/** A line step gives up after this many instructions (a loop with no line info). */
const MAX_LINE_STEP = 50_000_000;

export class Runner {
  readonly filters = new Set<FilterId>(['tripleFault', 'halt']);
  /** Vectors the exception filter stops on (null: all). */
  exceptionVectors: Set<number> | null = null;
  private task: Task | null = null;
  private pauseRequested = false;
  /** A stop an event listener asked for during the current run. */
  private pending: Stop | null = null;
  /** The temporary breakpoint of a step over a call: return address and the stack pointer to come back to. */
  private temp: { address: number; rsp: number } | null = null;
  private sliceSize = 200_000;
  /** Set once the machine cannot go on (triple fault, exit): the words why. */
  private ended: string | null = null;
  private endedCode: number | null = null;
  private scheduled = false;
  /**
   * Where the current task started: the emulator reports a breakpoint there before running it; the next
   * run() then executes it. Not a hit.
   */
  private resumeAt: { pc: number; icount: number } | null = null;

  constructor(private readonly d: Debuggee, private readonly breakpoints: Breakpoints, private readonly host: RunnerHost) {
    attachEvents(d.cpu, {
      modeSwitch: (e) => {
        const address = (e.linearHi >>> 0) * 2 ** 32 + (e.linearLo >>> 0);
        const rec = { instruction: d.cpu.icount, address, via: e.mnemonic, from: { mode: e.fromMode, paging: e.fromPaging }, to: { mode: e.toMode, paging: e.toPaging } };
        d.history.push(rec);
        const words = `${e.fromMode} · ${e.fromPaging} → ${e.toMode} · ${e.toPaging} via ${e.mnemonic || '?'} at ${d.symbols.format(address)}`;
        host.output(`mode switch: ${words} (instruction ${rec.instruction})\n`, 'console');
        if (this.filters.has('modeSwitch')) this.request({ reason: 'exception', description: words, text: `Mode switch: ${words}`, filter: 'modeSwitch' });
      },
      crWrite: (e) => {
        if (!this.filters.has('crWrite') || e.register === 'cr2') return;
        const address = this.insnAddress(e.ripLo, e.ripHi);
        const words = `${e.register}: ${hex64(e.oldLo, e.oldHi)} → ${hex64(e.newLo, e.newHi)} via ${e.mnemonic || '?'} at ${d.symbols.format(address)}`;
        this.request({ reason: 'exception', description: words, text: `Control register write: ${words}${decodeChange(e.register, e.oldLo, e.newLo)}`, filter: 'crWrite' });
      },
      exception: () => undefined,
    });
  }

  /** Linear address of an instruction given by its RIP (CS base added outside 64-bit mode). */
  private insnAddress(lo: number, hi: number): number {
    const cpu = this.d.cpu;
    if (cpu.long64) return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
    return (cpu.segBaseLo[1] + lo) >>> 0;
  }

  private request(s: Stop): void {
    if (this.pending === null) this.pending = s;
    this.d.machine.exec.requestStop(s.description);
  }

  get isRunning(): boolean {
    return this.task !== null;
  }

  /** Applies the exception filters to the emulator. */
  configure(): void {
    this.d.machine.exec.stopOnException = this.filters.has('exception');
  }

  continue(): void {
    this.start({ kind: 'continue' });
  }

  stepIn(instruction: boolean): void {
    this.start(instruction || this.d.lines.isEmpty ? { kind: 'instruction', over: false } : { kind: 'line', over: false, from: this.d.lines.locate(this.d.pc()), count: 0 });
  }

  next(instruction: boolean): void {
    this.start(instruction || this.d.lines.isEmpty ? { kind: 'instruction', over: true } : { kind: 'line', over: true, from: this.d.lines.locate(this.d.pc()), count: 0 });
  }

  /**
   * Runs until the current frame returns: with the shadow call stack, to the innermost caller's return
   * address with the stack above the frame; without one, instruction by instruction to a return that
   * leaves the stack above where it is now.
   */
  stepOut(): void {
    const [frame] = this.d.callers();
    this.start({ kind: 'out', rsp: frame !== undefined ? frame.stack : this.rsp() });
    if (frame !== undefined) {
      this.setTemp(frame.returnAddress, frame.stack + 1);
      this.resumeAt = { pc: this.d.pc(), icount: this.d.cpu.icount };
    }
  }

  pause(): void {
    if (this.task === null) return;
    this.pauseRequested = true;
    this.d.machine.exec.requestStop('pause requested');
  }

  /** Stops whatever runs, without a stopped event (terminate, restart). */
  halt(): void {
    this.task = null;
    this.temp = null;
  }

  private rsp(): number {
    const cpu = this.d.cpu;
    return (cpu.hi[Reg.RSP] >>> 0) * 2 ** 32 + (cpu.lo[Reg.RSP] >>> 0);
  }

  private start(task: Task): void {
    if (this.ended !== null) {
      this.host.terminated(this.endedCode, this.ended);
      return;
    }
    this.task = task;
    this.resumeAt = { pc: this.d.pc(), icount: this.d.cpu.icount };
    this.pauseRequested = false;
    this.pending = null;
    this.configure();
    if (!this.scheduled) {
      this.scheduled = true;
      // After the request's response: the stopped event must follow it (DAP ordering).
      setImmediate(() => this.slice());
    }
  }

  private finish(s: Stop): void {
    this.task = null;
    this.clearTemp();
    this.host.stopped(s);
  }

  private end(code: number | null, message: string): void {
    this.task = null;
    this.clearTemp();
    this.ended = message;
    this.endedCode = code;
    this.host.terminated(code, message);
  }

  private clearTemp(): void {
    if (this.temp !== null && !this.breakpoints.has(this.temp.address)) {
      const a = this.temp.address;
      this.d.machine.exec.removeBreakpoint(a % 2 ** 32 | 0, Math.floor(a / 2 ** 32) | 0);
    }
    this.temp = null;
  }

  private setTemp(address: number, rsp: number): void {
    this.clearTemp();
    this.temp = { address, rsp };
    this.d.machine.exec.addBreakpoint(address % 2 ** 32 | 0, Math.floor(address / 2 ** 32) | 0);
  }

  private slice(): void {
    this.scheduled = false;
    const started = Date.now();
    try {
      while (this.task !== null) {
        if (this.pauseRequested) { this.pauseRequested = false; this.finish({ reason: 'pause', description: 'paused' }); return; }
        if (this.task.kind === 'continue' || this.temp !== null) {
          const t0 = Date.now();
          const r = this.d.machine.run({ maxInstructions: this.sliceSize });
          const spent = Date.now() - t0;
          // Aim at slices of SLICE_MS: grow or shrink the instruction budget.
          if (r === StopReason.Limit) this.sliceSize = Math.max(10_000, Math.min(20_000_000, spent < 2 ? this.sliceSize * 4 : Math.round(this.sliceSize * SLICE_MS / spent)));
          if (this.handle(r)) return;
        } else {
          if (this.stepOne()) return;
        }
        if (Date.now() - started >= SLICE_MS) break;
      }
    } catch (e) {
      this.end(null, `internal error in the emulator: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    if (this.task !== null && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.slice());
    }
  }

  /** One instruction of a step task; true when the task ended (stopped or terminated). */
  private stepOne(): boolean {
    const task = this.task!;
    const d = this.d;
    const pc = d.pc();
    // Step over a call: run it whole, to the return address with the stack back where it was.
    if ((task.kind === 'instruction' || task.kind === 'line') && task.over) {
      const i = instructionAt(d, pc);
      if (i !== null && isCall(i)) {
        this.setTemp(pc + i.length, this.rsp());
        this.resumeAt = { pc, icount: d.cpu.icount };
        return false;
      }
    }
    const wasReturn = task.kind === 'out' ? instructionAt(d, pc) : null;
    const before = d.cpu.icount;
    let r = d.machine.step();
    // A breakpoint at the instruction we start from: the first step() only reports it.
    if (r === StopReason.Breakpoint && d.cpu.icount === before && d.pc() === pc) r = d.machine.step();
    if (r !== StopReason.Limit) return this.handle(r);
    switch (task.kind) {
      case 'instruction':
        this.finish({ reason: 'step', description: 'step' });
        return true;
      case 'line': {
        task.count++;
        const now = d.pc();
        const loc = d.lines.locate(now);
        const newLine = loc !== null && d.lines.startsRow(now) && (task.from === null || loc.line !== task.from.line || loc.file !== task.from.file);
        if (newLine || task.count >= MAX_LINE_STEP) { this.finish({ reason: 'step', description: 'step' }); return true; }
        return false;
      }
      case 'out':
        if (wasReturn !== null && isReturn(wasReturn) && this.rsp() > task.rsp) { this.finish({ reason: 'step', description: 'step out' }); return true; }
        return false;
      default:
        return false;
    }
  }

  /** Acts on why a run or step returned; true when the task ended. */
  private handle(r: StopReason): boolean {
    const d = this.d;
    switch (r) {
      case StopReason.Limit:
      case StopReason.None:
        return false;
      case StopReason.Breakpoint: {
        const pc = d.pc();
        if (this.resumeAt !== null && this.resumeAt.pc === pc && this.resumeAt.icount === d.cpu.icount) return false;
        if (this.temp !== null && pc === this.temp.address && this.rsp() >= this.temp.rsp) {
          // Back from the call stepped over (or out of).
          const task = this.task!;
          this.clearTemp();
          if (task.kind === 'out') { this.finish({ reason: 'step', description: 'step out' }); return true; }
          if (this.breakpoints.has(pc)) {
            const hit = this.breakpoints.hit(pc);
            for (const m of hit.messages) this.host.output(m + '\n', 'console');
            if (hit.stop) { this.finish(this.breakpointStop(hit.kind, hit.ids)); return true; }
          }
          if (task.kind === 'instruction') { this.finish({ reason: 'step', description: 'step' }); return true; }
          if (task.kind === 'line') {
            const loc = d.lines.locate(pc);
            const newLine = loc !== null && d.lines.startsRow(pc) && (task.from === null || loc.line !== task.from.line || loc.file !== task.from.file);
            if (newLine) { this.finish({ reason: 'step', description: 'step' }); return true; }
          }
          return false;
        }
        if (!this.breakpoints.has(pc)) return false; // a temporary breakpoint of a deeper frame (recursion)
        const hit = this.breakpoints.hit(pc);
        for (const m of hit.messages) this.host.output(m + '\n', 'console');
        if (!hit.stop) return false;
        this.finish(this.breakpointStop(hit.kind, hit.ids));
        return true;
      }
      case StopReason.Stop: {
        const p = this.pending;
        this.pending = null;
        if (p !== null) { this.finish(p); return true; }
        if (this.pauseRequested) { this.pauseRequested = false; this.finish({ reason: 'pause', description: 'paused' }); return true; }
        return false;
      }
      case StopReason.Exception: {
        const x = d.machine.exec.lastException;
        if (x !== null && (this.exceptionVectors === null || this.exceptionVectors.has(x.vector))) {
          const name = VECTOR_NAMES[x.vector] ?? `vector ${x.vector}`;
          const code = x.errorCode >= 0 && hasErrorCode(x.vector) ? `(0x${x.errorCode.toString(16)})` : '';
          const at = d.symbols.format(this.insnAddress(x.ripLo, x.ripHi));
          const i = instructionAt(d, this.insnAddress(x.ripLo, x.ripHi));
          this.finish({
            reason: 'exception', filter: 'exception',
            description: `${name}${code} at ${at}`,
            text: `${name}${code} at ${at}${i ? ` (${i.text})` : ''}: ${x.detail}${x.vector === 14 ? ` — CR2 = ${hex64(d.cpu.cr2Lo, d.cpu.cr2Hi)}` : ''}${decodeErrorCode(x.vector, x.errorCode)}`,
          });
          return true;
        }
        // Not one the filter picks: deliver it (the faulting instruction faults again without the stop).
        d.machine.exec.stopOnException = false;
        const again = d.machine.step();
        this.configure();
        return this.handle(again);
      }
      case StopReason.TripleFault: {
        const detail = d.machine.lastStop.detail;
        if (this.filters.has('tripleFault')) {
          this.ended = `the machine shut down after a triple fault: ${detail}`;
          this.endedCode = 4;
          this.finish({ reason: 'exception', filter: 'tripleFault', description: 'triple fault', text: `Triple fault: ${detail}` });
          return true;
        }
        this.end(4, `triple fault: ${detail}`);
        return true;
      }
      case StopReason.Halt: {
        const words = (d.cpu.flags & 0x200) === 0 ? 'the guest halted with interrupts disabled (HLT with IF = 0)' : 'the guest halted with nothing left to wake it';
        if (this.filters.has('halt')) {
          this.ended = words;
          this.endedCode = 0;
          this.finish({ reason: 'exception', filter: 'halt', description: 'halted', text: words });
          return true;
        }
        this.end(0, words);
        return true;
      }
      case StopReason.Exit:
        this.end(d.machine.lastStop.exitCode, d.machine.lastStop.detail);
        return true;
      case StopReason.Reset: case StopReason.PowerOff:
        this.end(4, d.machine.lastStop.detail);
        return true;
      case StopReason.Watchpoint: {
        const w = d.machine.exec.lastWatch;
        if (w === null) return false;
        const linear = (w.linearHi >>> 0) * 2 ** 32 + (w.linearLo >>> 0);
        const by = this.insnAddress(w.ripLo, w.ripHi);
        const i = instructionAt(d, by);
        const words = `${w.access} of ${w.size} byte${w.size === 1 ? '' : 's'} at linear ${hexAddress(linear)} (physical ${hexAddress(w.physical)})`;
        this.finish({
          reason: 'data breakpoint', hitBreakpointIds: [w.id],
          description: `${words} by ${i ? i.mnemonic : 'the instruction'} at ${d.symbols.format(by)}`,
          text: `Data breakpoint: ${words} by ${i ? i.text : '?'} at ${d.symbols.format(by)}`,
        });
        return true;
      }
      default: {
        const p = this.pending;
        this.pending = null;
        this.finish(p ?? { reason: 'pause', description: d.machine.lastStop.detail || String(r) });
        return true;
      }
    }
  }

  private breakpointStop(kind: string | null, ids: number[]): Stop {
    const reason = kind === 'function' ? 'function breakpoint' : kind === 'instruction' ? 'instruction breakpoint' : 'breakpoint';
    return { reason, description: reason, hitBreakpointIds: ids };
  }
}

/** A 64-bit register value given as halves, in 16 hex digits. */
export function hex64(lo: number, hi: number): string {
  return hexPad((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), 16);
}

/** Control registers whose writes name the bits that changed (the single-bit fields of bitFields.ts). */
const NAMED_CHANGES = new Set(['cr0', 'cr4', 'efer']);

/** Bits that changed in a CR0/CR4/EFER write, named as the SDM names them (Vol.3A §2.5, §2.2.1). */
function decodeChange(register: string, oldLo: number, newLo: number): string {
  if (!NAMED_CHANGES.has(register)) return '';
  const fields = BIT_FIELDS[register].filter((f) => f.width === 1);
  const changed: string[] = [];
  for (let b = 0; b < 32; b++) {
    if ((((oldLo ^ newLo) >>> b) & 1) === 0) continue;
    changed.push(`${fields.find((f) => f.bit === b)?.name ?? `bit ${b}`}=${(newLo >>> b) & 1}`);
  }
  return changed.length ? ` (${changed.join(', ')})` : ' (no bit changed)';
}

/** The error code's fields: #PF (SDM Vol.3A §4.7) or a selector error code (§6.13). */
function decodeErrorCode(vector: number, code: number): string {
  if (code < 0 || !hasErrorCode(vector)) return '';
  if (vector === 14) return `; error code: ${pageFaultCode(code)}`;
  if (code === 0) return '';
  const table = code & 2 ? 'IDT' : code & 4 ? 'LDT' : 'GDT';
  return `; error code: ${table} index ${code >>> 3}${code & 2 ? '' : ` (selector 0x${(code & 0xfffc).toString(16)})`}${code & 1 ? ', external event' : ''}`;
}
