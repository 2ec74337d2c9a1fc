// test/machine/support.ts: machines with the PC devices for the interrupt tests — a real-mode one as a
// BIOS leaves it (flat 64 KiB segments, IVT at 0, the PICs programmed) and a flat 64-bit one with a GDT
// and an IDT of 64-bit interrupt gates — running programs assembled by our own assembler.
import { assemble, flatBinary } from '../../assembler/index';
import { Machine } from '../../emulator/machine';
import { Reg, Seg } from '../../emulator/cpu/state';
import { ATTR_L, CR0_PE, EFER_LMA, EFER_LME } from '../../emulator/cpu/modes';

export interface Guest {
  m: Machine;
  /** Bytes written to the console (port 0xE9, COM1). */
  out: number[];
  sym(name: string): number;
  /** A little-endian word/dword of guest memory. */
  word(addr: number): number;
  dword(addr: number): number;
}

function build(src: string, origin: number, bits: 16 | 64): Guest {
  const out: number[] = [];
  const m = new Machine({ memory: 16 << 20, output: (b) => out.push(b) });
  const r = assemble(`${bits === 16 ? '.code16' : '.code64'}\n${src}`, { file: 'test.s', origin });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.message).join('\n'));
  m.load(origin, flatBinary(r.sections));
  const sym = (name: string): number => {
    const s = r.symbols.find((x) => x.name === name);
    if (!s) throw new Error(`no symbol ${name}`);
    return s.value;
  };
  const read = (addr: number, n: number): number => {
    const b = m.phys.readBytes(addr, n);
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = v * 256 + b[k];
    return v;
  };
  return { m, out, sym, word: (a) => read(a, 2), dword: (a) => read(a, 4) };
}

/** Real mode at 0:origin, SP = 0x7000, IF = 0, the devices as a PC BIOS leaves them (design.md). */
export function realGuest(src: string, origin = 0x7c00): Guest {
  const g = build(src, origin, 16);
  const cpu = g.m.cpu;
  cpu.reset();
  for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segLimit[s] = 0xffff; }
  cpu.idtrBaseLo = 0;
  cpu.idtrLimit = 0x3ff;
  cpu.ripLo = origin;
  cpu.lo[Reg.RSP] = 0x7000;
  g.m.stateChanged();
  g.m.programAsBios();
  return g;
}

const GDT = 0x500;
const IDT = 0x1000;

/**
 * 64-bit mode, flat segments (code 0x10, data 0x18 in a GDT at 0x500), paging off (identity: paging is
 * transparent to this code — as test/support/flat.ts), RSP = 0x80000, IF = 0. `vectors` maps IDT vectors
 * to labels of 64-bit interrupt gates (SDM Vol.3A §6.14.1, Figure 6-8).
 */
export function longGuest(src: string, vectors: Record<number, string>, origin = 0x10000): Guest {
  const g = build(src, origin, 64);
  const m = g.m, cpu = m.cpu;
  const gdt = new DataView(new ArrayBuffer(32));
  gdt.setUint32(16, 0x0000ffff, true); gdt.setUint32(20, 0x00af9a00, true); // 64-bit code, DPL 0
  gdt.setUint32(24, 0x0000ffff, true); gdt.setUint32(28, 0x00cf9200, true); // data
  m.load(GDT, new Uint8Array(gdt.buffer));
  const idt = new DataView(new ArrayBuffer(256 * 16));
  for (const [v, label] of Object.entries(vectors)) {
    const off = g.sym(label);
    const e = Number(v) * 16;
    idt.setUint32(e, (off & 0xffff) | (0x10 << 16), true);
    idt.setUint32(e + 4, (off & 0xffff0000) | 0x8e00, true); // present, DPL 0, 64-bit interrupt gate
  }
  m.load(IDT, new Uint8Array(idt.buffer));
  cpu.reset();
  cpu.cr0 |= CR0_PE;
  cpu.efer |= EFER_LME | EFER_LMA;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === Seg.CS ? 0x10 : 0x18;
    cpu.segBaseLo[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = s === Seg.CS ? 0x9b | 0x8000 | ATTR_L : 0x93 | 0x4000 | 0x8000;
  }
  cpu.gdtrBaseLo = GDT; cpu.gdtrLimit = 31;
  cpu.idtrBaseLo = IDT; cpu.idtrLimit = 256 * 16 - 1;
  cpu.ripLo = origin;
  cpu.lo[Reg.RSP] = 0x80000;
  m.stateChanged();
  m.programAsBios();
  return g;
}
