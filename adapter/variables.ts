// variables.ts: the DAP `scopes`, `variables` and `setVariable` requests over the processor state —
// scopes General, Segments, Control, MSRs, x87/SSE, Descriptor tables, Mode and Stack (registerViews.ts,
// fpuView.ts, tableViews.ts). References are handed out per stop: reset() at every stop invalidates them, as the DAP
// overview's "Lifetime of Object References" asks. Edits go through registers.ts, so a value the guest's
// own MOV to CR / WRMSR / MOV Sreg would fault on comes back as an error and changes nothing.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Debuggee } from './debuggee';
import { controlScope, generalScope, modeScope, msrScope } from './registerViews';
import { fpuScope } from './fpuView';
import { descriptorTableScope, segmentScope, stackScope } from './tableViews';
import { Children, Entry, named } from './variableTree';

interface Scope {
  name: string;
  build: (d: Debuggee) => Entry[];
  expensive: boolean;
  hint?: 'registers' | 'locals';
}

const SCOPES: Scope[] = [
  { name: 'General', build: generalScope, expensive: false, hint: 'registers' },
  { name: 'Segments', build: segmentScope, expensive: false, hint: 'registers' },
  { name: 'Control', build: controlScope, expensive: false, hint: 'registers' },
  { name: 'MSRs', build: msrScope, expensive: false, hint: 'registers' },
  { name: 'x87/SSE', build: fpuScope, expensive: false, hint: 'registers' },
  { name: 'Descriptor tables', build: descriptorTableScope, expensive: true },
  { name: 'Mode', build: modeScope, expensive: false },
  { name: 'Stack', build: stackScope, expensive: false, hint: 'locals' },
];

/** A container the client may expand: its children, and the entries last listed (for setVariable). */
interface Handle {
  children: Children;
  /** The entries last listed, by name: setVariable finds its setter here. */
  listed: Map<string, Entry>;
}

export class Variables {
  private handles = new Map<number, Handle>();
  private next = 1;
  /** Scope name → reference, stable until reset so repeated scopes requests agree. */
  private scopeRefs = new Map<string, number>();

  constructor(private readonly d: Debuggee) {}

  /** Called at every stop (and after anything else changes the machine): all references become invalid. */
  reset(): void {
    this.handles.clear();
    this.scopeRefs.clear();
    this.next = 1;
  }

  scopes(): DebugProtocol.Scope[] {
    return SCOPES.map((s) => {
      let ref = this.scopeRefs.get(s.name);
      if (ref === undefined) {
        ref = this.allocate(named(() => s.build(this.d)));
        this.scopeRefs.set(s.name, ref);
      }
      const scope: DebugProtocol.Scope = { name: s.name, variablesReference: ref, expensive: s.expensive };
      if (s.hint !== undefined) scope.presentationHint = s.hint;
      return scope;
    });
  }

  /**
   * The children of `ref` (DAP `variables`). `filter` 'indexed' / 'named' selects one kind (GDT, LDT and
   * IDT entries are indexed, everything else named); `start`/`count` page through them. Unknown or stale
   * references give an empty list.
   */
  variables(ref: number, filter?: 'indexed' | 'named', start?: number, count?: number): DebugProtocol.Variable[] {
    const h = this.handles.get(ref);
    if (h === undefined) return [];
    const c = h.children;
    if (filter !== undefined && filter !== c.kind) return [];
    let entries: Entry[];
    const from = Math.max(0, start ?? 0);
    if (c.kind === 'indexed') {
      const end = Math.min(c.count, count === undefined || count <= 0 ? c.count : from + count);
      entries = [];
      for (let k = from; k < end; k++) entries.push(c.at(k));
    } else {
      const all = c.list();
      entries = count === undefined || count <= 0 ? all.slice(from) : all.slice(from, from + count);
    }
    for (const e of entries) h.listed.set(e.name, e);
    return entries.map((e) => this.toVariable(e));
  }

  /**
   * Sets `name` inside container `ref` from the user's text (DAP `setVariable`): a register, a bit field
   * (`LA57` under CR4), a flag (`ZF` under RFLAGS), a segment selector, a stack slot. Returns the new value
   * as the view shows it, or the reason nothing changed.
   */
  setVariable(ref: number, name: string, value: string): { value: string; variablesReference: number } | { error: string } {
    const h = this.handles.get(ref);
    if (h === undefined) return { error: `no variable container ${ref} (the program has run since it was listed)` };
    let e = h.listed.get(name);
    if (e === undefined) {
      // The client may set a variable it did not list through this reference (paged views): look it up.
      this.variables(ref);
      e = h.listed.get(name);
    }
    if (e === undefined) return { error: `'${name}' is not in this view` };
    if (e.set === undefined) return { error: `${name} is read-only here` };
    const error = e.set(value);
    if (error !== null) return { error };
    // Re-read: the processor may store something other than what was typed (CR0.ET is fixed to 1,
    // EFLAGS bit 1 reads 1). The sibling list is recomputed for the new value.
    h.listed.clear();
    const fresh = this.variables(ref).find((v) => v.name === name);
    return fresh === undefined ? { value, variablesReference: 0 } : { value: fresh.value, variablesReference: fresh.variablesReference };
  }

  private allocate(children: Children): number {
    const ref = this.next++;
    this.handles.set(ref, { children, listed: new Map() });
    return ref;
  }

  private toVariable(e: Entry): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name: e.name, value: e.value, variablesReference: 0 };
    if (e.type !== undefined) v.type = e.type;
    if (e.memoryReference !== undefined) v.memoryReference = e.memoryReference;
    if (e.evaluateName !== undefined) v.evaluateName = e.evaluateName;
    if (e.children !== undefined) {
      v.variablesReference = this.allocate(e.children);
      if (e.children.kind === 'indexed') v.indexedVariables = e.children.count;
    }
    if (e.set === undefined) v.presentationHint = { attributes: ['readOnly'] };
    return v;
  }
}
