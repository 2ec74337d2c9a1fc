// session.ts: the Debug Adapter Protocol session — one method per request, mapping DAP onto the program
// under debug (debuggee.ts), run control (runner.ts), breakpoints, variables, evaluation and the custom
// requests of the extension's views. It runs inline in the extension host or as `trampoline dap`; files
// come through ProgramFiles. Any error inside a request becomes an error response: the adapter never dies.
import {
  DebugSession, ExitedEvent, InitializedEvent, InvalidatedEvent, MemoryEvent, OutputEvent, Response, StoppedEvent, TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import path from 'node:path';
import { VECTOR_NAMES } from '../emulator/cpu/fault';
import { MAX_WATCH_LENGTH } from '../emulator/debug/watchpoints';
import { Seg } from '../emulator/cpu/state';
import { assign, assignmentAt } from './assign';
import { Breakpoints } from './breakpoints';
import { Debuggee } from './debuggee';
import { evaluate, evaluateCondition, interpolate } from './evaluate';
import { LaunchConfig, LaunchError, parseLaunch } from './launch';
import { pageTableChildren, pageTableRoot, translateAddress } from './pageTables';
import { loadProgram, ProgramFiles } from './program';
import { replCommand, replCompletions } from './repl';
import { FilterId, Runner, Stop } from './runner';
import { hexAddress } from './symbols';
import { Variables } from './variables';
import { describeDisassembly } from './disassembly';
import { parseMemoryReference } from './memory';

const THREAD = 1;

export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  { filter: 'modeSwitch', label: 'Mode switch', description: 'Stop after any change of CPU mode or paging mode (e.g. long64 · 4-level → compat32 · 4-level via lretq)', default: false },
  { filter: 'crWrite', label: 'Control register write', description: 'Stop after a write to CR0, CR3, CR4, CR8 or EFER, showing old → new with the bits that changed', default: false },
  {
    filter: 'exception', label: 'Guest exception', description: 'Stop before a guest exception is delivered (vector, error code decoded, faulting instruction)', default: false,
    supportsCondition: true, conditionDescription: 'Vectors to stop on, e.g. "14" or "#PF, #GP" (empty: all)',
  },
  { filter: 'tripleFault', label: 'Triple fault', description: 'Stop when the processor shuts down after a triple fault', default: true },
  { filter: 'halt', label: 'Halt', description: 'Stop when the guest halts for good (HLT with nothing to wake it) instead of ending the session', default: true },
];

export class TrampolineSession extends DebugSession {
  private d: Debuggee | null = null;
  private runner: Runner | null = null;
  private breakpoints: Breakpoints | null = null;
  private variables: Variables | null = null;
  private config: LaunchConfig | null = null;
  private lastStop: Stop | null = null;
  private configurationDone!: Promise<void>;
  private markConfigured: () => void = () => undefined;
  /** Requests kept to apply them again on restart. */
  private sourceBreakpoints = new Map<string, DebugProtocol.SourceBreakpoint[]>();
  private functionBreakpoints: DebugProtocol.FunctionBreakpoint[] = [];
  private instructionBreakpoints: DebugProtocol.InstructionBreakpoint[] = [];
  private exceptionArgs: DebugProtocol.SetExceptionBreakpointsArguments = { filters: ['tripleFault', 'halt'] };
  private consoleLine = '';

  constructor(private readonly files: ProgramFiles) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configurationDone = new Promise((resolve) => { this.markConfigured = resolve; });
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    try {
      super.dispatchRequest(request);
    } catch (e) {
      this.fail(new Response(request), e);
    }
  }

  private fail(response: DebugProtocol.Response, e: unknown): void {
    const message = e instanceof LaunchError ? e.message : e instanceof Error ? (e.constructor === Error || e.constructor === TypeError ? `internal error: ${e.message}` : e.message) : String(e);
    this.sendErrorResponse(response, { id: 1001, format: message, showUser: true });
  }

  /** The program must be loaded for this request. */
  private need(): { d: Debuggee; runner: Runner; breakpoints: Breakpoints; variables: Variables } {
    if (this.d === null || this.runner === null || this.breakpoints === null || this.variables === null) throw new Error('no program is loaded yet (launch first)');
    return { d: this.d, runner: this.runner, breakpoints: this.breakpoints, variables: this.variables };
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsEvaluateForHovers: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsGotoTargetsRequest: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsLoadedSourcesRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['.', '$', '%', ' ', '/'],
      supportsValueFormattingOptions: true,
      supportsCancelRequest: false,
      supportsBreakpointLocationsRequest: true,
    };
    this.sendResponse(response);
  }

  private output(text: string, category: string = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  /** Guest console bytes (COM1, port 0xE9), sent a line at a time (or at each stop). */
  private guestByte(b: number): void {
    this.consoleLine += String.fromCharCode(b);
    if (b === 10 || this.consoleLine.length >= 4096) this.flushConsole();
  }

  private flushConsole(): void {
    if (this.consoleLine !== '') { this.output(this.consoleLine, 'stdout'); this.consoleLine = ''; }
  }

  private load(config: LaunchConfig): void {
    const loaded = loadProgram(config, this.files, (b) => this.guestByte(b));
    const d = loaded.debuggee;
    for (const w of loaded.warnings) this.output(w + '\n', 'stderr');
    const evaluator = {
      condition: (text: string) => evaluateCondition(d, text),
      interpolate: (text: string) => interpolate(d, text),
    };
    this.d = d;
    this.breakpoints = new Breakpoints(d, evaluator);
    this.variables = new Variables(d);
    this.runner = new Runner(d, this.breakpoints, {
      stopped: (s) => this.stopped(s),
      terminated: (code, message) => this.terminated(code, message),
      output: (text, category) => this.output(text, category),
      changed: () => this.sendEvent(new InvalidatedEvent(['variables', 'stacks'])),
    });
    this.config = config;
    if (config.stopAtKernelEntry) {
      if (d.booted.kernelEntry === undefined) throw new LaunchError('launch.json: "stopAtKernelEntry" is for boot "linux" or "linux32"');
      this.breakpoints.addInternal(d.booted.kernelEntry);
    }
    const m = d.mode();
    this.output(`Trampoline: ${path.basename(loaded.program)} booted as '${d.booted.boot}' at ${hexAddress(d.pc())} (${m.mode} · ${m.paging})\n`);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    try {
      const config = parseLaunch(args);
      this.load(config);
    } catch (e) {
      this.fail(response, e);
      return;
    }
    this.sendEvent(new InitializedEvent());
    await this.configurationDone;
    this.sendResponse(response);
    this.begin();
  }

  private begin(): void {
    const { runner, d } = this.need();
    this.applyExceptionFilters(this.exceptionArgs);
    if (this.config?.stopOnEntry) {
      this.stopped({ reason: 'entry', description: `entry (${d.mode().mode})` });
    } else {
      runner.continue();
    }
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.markConfigured();
  }

  private stopped(s: Stop): void {
    this.flushConsole();
    this.lastStop = s;
    this.variables?.reset();
    const e = new StoppedEvent(s.reason, THREAD, s.text) as DebugProtocol.StoppedEvent;
    e.body.description = s.description;
    if (s.hitBreakpointIds) e.body.hitBreakpointIds = s.hitBreakpointIds;
    e.body.allThreadsStopped = true;
    this.sendEvent(e);
  }

  private terminated(code: number | null, message: string): void {
    this.flushConsole();
    this.output(`Trampoline: ${message}\n`, 'important');
    if (code !== null) this.sendEvent(new ExitedEvent(code));
    this.sendEvent(new TerminatedEvent());
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const { breakpoints } = this.need();
    const file = args.source.path ?? args.source.name ?? '';
    const requested = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    this.sourceBreakpoints.set(file, requested);
    response.body = { breakpoints: breakpoints.setSource(file, requested).map((b) => ({ ...b, source: args.source })) };
    this.sendResponse(response);
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    const { d } = this.need();
    const file = args.source.path ?? '';
    const end = args.endLine ?? args.line;
    response.body = { breakpoints: d.lines.linesOf(file).filter((l) => l >= args.line && l <= end).map((line) => ({ line })) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const { breakpoints } = this.need();
    this.functionBreakpoints = args.breakpoints;
    response.body = { breakpoints: breakpoints.setFunctions(args.breakpoints) };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    const { breakpoints } = this.need();
    this.instructionBreakpoints = args.breakpoints;
    response.body = { breakpoints: breakpoints.setInstructions(args.breakpoints) };
    this.sendResponse(response);
  }

  private applyExceptionFilters(args: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const runner = this.runner;
    const out: DebugProtocol.Breakpoint[] = [];
    const filters = new Set<FilterId>();
    let vectors: Set<number> | null = null;
    const known = new Set(EXCEPTION_FILTERS.map((f) => f.filter));
    const options = [...(args.filters ?? []).map((filterId) => ({ filterId, condition: undefined as string | undefined })), ...(args.filterOptions ?? [])];
    for (const o of options) {
      if (!known.has(o.filterId)) { out.push({ verified: false, message: `unknown exception filter "${o.filterId}"` }); continue; }
      filters.add(o.filterId as FilterId);
      if (o.filterId === 'exception' && o.condition?.trim()) {
        const parsed = parseVectors(o.condition);
        if (typeof parsed === 'string') { out.push({ verified: false, message: parsed }); continue; }
        vectors = parsed;
      }
      out.push({ verified: true });
    }
    if (runner !== null) {
      runner.filters.clear();
      for (const f of filters) runner.filters.add(f);
      runner.exceptionVectors = vectors;
      runner.configure();
    }
    return out;
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.exceptionArgs = args;
    response.body = { breakpoints: this.applyExceptionFilters(args) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.lastStop;
    response.body = {
      exceptionId: s?.filter ?? s?.reason ?? 'none',
      description: s?.text ?? s?.description ?? '',
      breakMode: s?.filter === 'tripleFault' ? 'always' : 'userUnhandled',
    };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const { d } = this.need();
    response.body = dataBreakpointInfo(d, args);
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const { d } = this.need();
    response.body = { breakpoints: setDataBreakpoints(d, args.breakpoints) };
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [{ id: THREAD, name: 'CPU 0' }] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const { d } = this.need();
    const frames = stackFrames(d);
    const start = args.startFrame ?? 0;
    const count = args.levels && args.levels > 0 ? args.levels : frames.length;
    response.body = { stackFrames: frames.slice(start, start + count), totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse): void {
    const { variables } = this.need();
    response.body = { scopes: variables.scopes() };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const { variables } = this.need();
    response.body = { variables: variables.variables(args.variablesReference, args.filter, args.start, args.count) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const { variables } = this.need();
    const r = variables.setVariable(args.variablesReference, args.name, args.value);
    if ('error' in r) { this.sendErrorResponse(response, { id: 1002, format: r.error, showUser: true }); return; }
    response.body = { value: r.value, variablesReference: r.variablesReference };
    this.sendResponse(response);
    this.changed();
  }

  /** After the user changed state: the views refresh. */
  private changed(): void {
    this.variables?.reset();
    this.sendEvent(new InvalidatedEvent(['variables', 'stacks']));
  }

  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    const { d } = this.need();
    const r = assign(d, `${args.expression} = ${args.value}`);
    if ('error' in r) { this.sendErrorResponse(response, { id: 1003, format: r.error, showUser: true }); return; }
    const now = evaluate(d, args.expression);
    response.body = { value: 'error' in now ? r.display : now.display };
    this.sendResponse(response);
    this.changed();
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const { d } = this.need();
    const text = args.expression.trim();
    if (args.context === 'repl') {
      const out = replCommand(d, text);
      if (out !== null) {
        response.body = { result: out, variablesReference: 0 };
        this.sendResponse(response);
        return;
      }
    }
    if (args.context !== 'hover' && assignmentAt(text) >= 0) {
      const a = assign(d, text);
      if ('error' in a) { this.sendErrorResponse(response, { id: 1005, format: a.error, showUser: true }); return; }
      response.body = { result: a.display, variablesReference: 0 };
      this.sendResponse(response);
      this.changed();
      return;
    }
    const r = evaluate(d, text);
    if ('error' in r) {
      // Hovers over words that are not expressions stay silent.
      if (args.context === 'hover') { this.sendErrorResponse(response, { id: 1004, format: r.error, showUser: false }); return; }
      this.sendErrorResponse(response, { id: 1004, format: r.error, showUser: true });
      return;
    }
    response.body = { result: r.display, type: r.type, variablesReference: 0, ...(r.memoryReference ? { memoryReference: r.memoryReference } : {}) };
    this.sendResponse(response);
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    const { d } = this.need();
    response.body = { targets: replCompletions(d, args.text, args.column) };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    const { runner } = this.need();
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    runner.continue();
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    const { runner } = this.need();
    this.sendResponse(response);
    runner.next(args.granularity === 'instruction');
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    const { runner } = this.need();
    this.sendResponse(response);
    runner.stepIn(args.granularity === 'instruction');
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    const { runner } = this.need();
    this.sendResponse(response);
    runner.stepOut();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    const { runner } = this.need();
    this.sendResponse(response);
    runner.pause();
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    const { d } = this.need();
    const found = d.lines.resolve(args.source.path ?? '', args.line);
    const targets: DebugProtocol.GotoTarget[] = [];
    if (found !== null && found.line === args.line) {
      for (const a of found.addresses) {
        // Prefer the copy the code runs from when the program is executing inside it.
        const all = d.symbols.runtimeAddresses(a);
        for (const r of all) targets.push({ id: r, label: `${d.symbols.format(r)} (${hexAddress(r)})`, line: found.line, instructionPointerReference: hexAddress(r) });
      }
    }
    response.body = { targets };
    this.sendResponse(response);
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    const { d } = this.need();
    setPc(d, args.targetId);
    this.sendResponse(response);
    this.stopped({ reason: 'goto', description: `jumped to ${d.symbols.format(args.targetId)}` });
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse): void {
    if (this.config === null) throw new Error('nothing to restart: launch first');
    this.runner?.halt();
    this.load(this.config);
    const { breakpoints } = this.need();
    for (const [file, bps] of this.sourceBreakpoints) breakpoints.setSource(file, bps);
    breakpoints.setFunctions(this.functionBreakpoints);
    breakpoints.setInstructions(this.instructionBreakpoints);
    this.sendResponse(response);
    this.sendEvent(new InvalidatedEvent(['all']));
    this.begin();
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runner?.halt();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.runner?.halt();
    this.sendResponse(response);
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    const { d } = this.need();
    response.body = { sources: d.lines.files.map((f) => ({ name: path.basename(f), path: f })) };
    this.sendResponse(response);
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const { d } = this.need();
    const ref = parseMemoryReference(args.memoryReference);
    if (typeof ref === 'string') throw new Error(ref);
    const count = Math.max(0, Math.min(args.count, 1 << 20));
    const at = ref.address + (args.offset ?? 0);
    let bytes: Uint8Array;
    if (ref.space === 'physical') bytes = d.readPhysical(at, count);
    else bytes = d.readLinear(at, count).bytes;
    response.body = { address: hexAddress(at), data: Buffer.from(bytes).toString('base64'), unreadableBytes: count - bytes.length };
    this.sendResponse(response);
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    const { d } = this.need();
    const ref = parseMemoryReference(args.memoryReference);
    if (typeof ref === 'string') throw new Error(ref);
    const bytes = new Uint8Array(Buffer.from(args.data, 'base64'));
    const at = ref.address + (args.offset ?? 0);
    let written = bytes.length;
    if (ref.space === 'physical') d.writePhysical(at, bytes);
    else {
      const r = d.writeLinear(at, bytes);
      written = r.written;
      if (r.error !== null && written === 0) throw new Error(`cannot write: ${r.error}`);
    }
    response.body = { bytesWritten: written };
    this.sendResponse(response);
    this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, written));
    this.changed();
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const { d } = this.need();
    response.body = { instructions: describeDisassembly(d, args) };
    this.sendResponse(response);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const { d } = this.need();
    const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
    switch (command) {
      case 'trampoline/pageTables':
        response.body = a.table === undefined || a.table === null ? pageTableRoot(d) : pageTableChildren(d, a.table);
        break;
      case 'trampoline/translate': {
        const r = translateAddress(d, String(a.address ?? ''));
        if (typeof r === 'string') throw new Error(r);
        response.body = r;
        break;
      }
      case 'trampoline/modeHistory':
        response.body = {
          switches: d.history.map((h) => ({
            instruction: h.instruction, address: hexAddress(h.address), symbol: d.symbols.format(h.address), via: h.via, from: h.from, to: h.to,
            ...(() => { const loc = d.lines.locate(h.address); return loc ? { source: { path: loc.file, name: path.basename(loc.file) }, line: loc.line } : {}; })(),
          })),
          current: { ...d.mode(), instruction: d.cpu.icount, address: hexAddress(d.pc()) },
        };
        break;
      default:
        throw new Error(`unknown request '${command}'`);
    }
    this.sendResponse(response);
  }
}

/** "14", "#PF, #GP", "13 14" → vectors; a message when not understood. */
export function parseVectors(text: string): Set<number> | string {
  const out = new Set<number>();
  for (const raw of text.split(/[\s,|]+/).filter((t) => t !== '')) {
    const t = raw.replace(/^vector\s*==\s*/i, '');
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
    if (!Number.isNaN(n) && n >= 0 && n < 256) { out.add(n); continue; }
    const name = t.startsWith('#') ? t.toUpperCase() : `#${t.toUpperCase()}`;
    const v = Object.entries(VECTOR_NAMES).find(([, nm]) => nm === name);
    if (v === undefined) return `exception filter condition: "${raw}" is not a vector number (0-255) or name such as #PF`;
    out.add(Number(v[0]));
  }
  return out;
}

/** Sets the next instruction to a linear address (RIP = linear - CS.base outside 64-bit mode). */
function setPc(d: Debuggee, linear: number): void {
  const cpu = d.cpu;
  if (cpu.long64) { cpu.ripLo = linear % 2 ** 32 | 0; cpu.ripHi = Math.floor(linear / 2 ** 32) | 0; }
  else { cpu.ripLo = (linear - (cpu.segBaseLo[Seg.CS] >>> 0)) | 0; cpu.ripHi = 0; }
  d.machine.stateChanged();
}

/** The frames: the current instruction, then the callers the shadow call stack knows. */
function stackFrames(d: Debuggee): DebugProtocol.StackFrame[] {
  const frame = (id: number, address: number, mode: string, kind: string): DebugProtocol.StackFrame => {
    const loc = d.lines.locate(address);
    return {
      id, name: `${d.symbols.format(address)}${kind} · ${mode}`, line: loc?.line ?? 0, column: loc ? 1 : 0,
      ...(loc ? { source: { name: path.basename(loc.file), path: loc.file } } : {}),
      instructionPointerReference: hexAddress(address),
      ...(loc ? {} : { presentationHint: 'subtle' as const }),
    };
  };
  // A halted processor's RIP is past its HLT (SDM Vol.2 HLT): show the HLT itself, whose line is the one
  // the program stopped on (the next address often starts another function).
  const pc = d.pc();
  const halted = d.cpu.halted && d.readLinear(pc - 1, 1).bytes[0] === 0xf4;
  const frames = [frame(0, halted ? pc - 1 : pc, d.mode().mode, halted ? ' [halted]' : '')];
  const callers = d.callers();
  for (let k = 0; k < callers.length; k++) {
    const c = callers[k];
    const kind = c.kind === 'call' ? '' : c.kind === 'farCall' ? ' [far call]' : c.kind === 'syscall' ? ' [syscall]'
      : ` [${c.kind} ${VECTOR_NAMES[c.vector] ?? `vector ${c.vector}`}]`;
    frames.push(frame(k + 1, c.caller, `${c.codeBits}-bit`, kind));
  }
  return frames;
}

/** dataBreakpointInfo: an address expression (`0x7000`, `phys:0x7000`, a label) or a variable with a memory reference. */
function dataBreakpointInfo(d: Debuggee, args: DebugProtocol.DataBreakpointInfoArguments): DebugProtocol.DataBreakpointInfoResponse['body'] {
  const name = args.name.trim();
  const physical = /^phys(ical)?:/i.test(name);
  const text = physical ? name.replace(/^phys(ical)?:/i, '') : name;
  const r = evaluate(d, text);
  if ('error' in r) return { dataId: null, description: `cannot watch "${name}": ${r.error}` };
  // A variable (a register, a stack slot) is watched at the address it holds, from its memory reference.
  const address = args.variablesReference && r.memoryReference !== undefined ? Number(r.memoryReference.replace(/^phys:/, '')) : Number(r.value);
  const size = Math.max(1, Math.min(args.bytes ?? 8, MAX_WATCH_LENGTH));
  const space = physical ? 'physical' : 'linear';
  return {
    dataId: `${space}:${hexAddress(address)}:${size}`,
    description: `${size} byte${size === 1 ? '' : 's'} at ${space} ${hexAddress(address)}${physical ? '' : ` (${d.symbols.format(address)})`}`,
    accessTypes: ['write', 'read', 'readWrite'],
    canPersist: true,
  };
}

function setDataBreakpoints(d: Debuggee, list: DebugProtocol.DataBreakpoint[]): DebugProtocol.Breakpoint[] {
  const watch = d.machine.watch;
  watch.clear();
  return list.map((bp) => {
    const m = /^(linear|physical):(0x[0-9a-f]+):(\d+)$/i.exec(bp.dataId);
    if (m === null) return { verified: false, message: `bad data breakpoint id "${bp.dataId}" (expected linear|physical:0xADDRESS:BYTES)` };
    const access = bp.accessType === 'read' ? 'read' : bp.accessType === 'readWrite' ? 'access' : 'write';
    try {
      const id = watch.add({ space: m[1] as 'linear' | 'physical', address: Number(m[2]), length: Number(m[3]), access });
      return { id, verified: true, message: `${access} watch on ${m[1]} ${m[2]} (${m[3]} bytes)` };
    } catch (e) {
      return { verified: false, message: (e as Error).message };
    }
  });
}

