// registers.test.ts: register reads and writes by name (adapter/registers.ts). Expected values come from
// what the test programs compute under the SDM's rules (sub-register aliasing SDM Vol.1 §3.4.1.1 and
// §3.7.2.1, flags of CMP Vol.1 Appendix A, descriptor layouts Vol.3A §3.4.5 / §3.5 / §6.14.1) and from
// what the guest itself observes after a debugger write (its stores, its console), never from reading
// our emulator back through the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EFER_LMA } from '../../emulator/cpu/modes';
import { Seg } from '../../emulator/cpu/state';
import { BIT_FIELDS, decodeDescriptor, readField, readRegister, writeField, writeRegister } from '../../adapter/registers';
import { bootDebuggee, bootExample, bootRegs, label, result, runTo } from './debuggeeFixture';

const LVL5 = { boot: 'long' as const, load: 0x1_0000_0000, paging: 4 as const };

test('general registers in every width, any case, with $ or %', () => {
  const d = bootRegs();
  const expect: [string, bigint][] = [
    // movabs $0x8877665544332211, %rax
    ['rax', 0x8877665544332211n], ['eax', 0x44332211n], ['ax', 0x2211n], ['al', 0x11n], ['ah', 0x22n],
    // movq $-1, %rcx; movw $0xbeef, %cx: a 16-bit write keeps bits 63:16 (SDM Vol.1 §3.4.1.1)
    ['rcx', 0xffffffffffffbeefn], ['ecx', 0xffffbeefn], ['cx', 0xbeefn], ['cl', 0xefn], ['ch', 0xben],
    ['rdx', 0x5a00n], ['dx', 0x5a00n], ['dh', 0x5an], ['dl', 0n],
    // movl $0x12345678, %r9d zero-extends into r9 (SDM Vol.1 §3.4.1.1)
    ['r9', 0x12345678n], ['r9d', 0x12345678n], ['r9w', 0x5678n], ['r9b', 0x78n],
    ['rsi', 0x1277n], ['sil', 0x77n], ['si', 0x1277n], ['esi', 0x1277n],
    ['r15', 0xfedcba9876541111n], ['r15d', 0x76541111n], ['r15w', 0x1111n], ['r15b', 0x11n],
  ];
  for (const [name, v] of expect) {
    assert.equal(readRegister(d, name), v, name);
    assert.equal(readRegister(d, `$${name.toUpperCase()}`), v, `$${name.toUpperCase()}`);
    assert.equal(readRegister(d, `%${name}`), v, `%${name}`);
  }
  assert.equal(readRegister(d, 'rip'), BigInt(label(d, 'in_func')));
  assert.equal(readRegister(d, 'eip'), BigInt(label(d, 'in_func')));
  assert.equal(readRegister(d, 'ip'), BigInt(label(d, 'in_func') & 0xffff));
  assert.equal(readRegister(d, 'rx'), undefined);
  assert.equal(readRegister(d, 'r16'), undefined);
});

test('rflags after cmp 1,1 and std: ZF PF DF set, bit 1 reads 1 (SDM Vol.1 §3.4.3, Appendix A)', () => {
  const d = bootRegs();
  // The long boot leaves IF = 0 (design.md, Linux 64-bit boot protocol): 0x2 | PF 0x4 | ZF 0x40 | DF 0x400.
  assert.equal(readRegister(d, 'rflags'), 0x446n);
  assert.equal(readRegister(d, 'eflags'), 0x446n);
  assert.equal(readRegister(d, 'flags'), 0x446n);
  assert.equal(readField(d, 'rflags', 'zf'), 1n);
  assert.equal(readField(d, 'eflags', 'ZF'), 1n);
  assert.equal(readField(d, 'rflags', 'cf'), 0n);
  assert.equal(readField(d, 'rflags', 'DF'), 1n);
  assert.equal(readField(d, 'rflags', 'iopl'), 0n);
  assert.equal(readField(d, 'rflags', 'nosuch'), undefined);
});

test('writes in every width replace only their bits; the guest sees them', () => {
  const d = bootRegs();
  assert.equal(writeRegister(d, 'eax', 0xdeadbeefn), null);
  assert.equal(writeRegister(d, '$AH', 0x99n), null);
  assert.equal(writeRegister(d, 'bx', 0xabcdn), null);
  assert.equal(writeRegister(d, '%bl', 0x01n), null);
  assert.equal(writeRegister(d, 'rbx', BigInt(readRegister(d, 'rbx') ?? 0n) | 0x7000000000000000n), null);
  assert.equal(writeRegister(d, 'al', -1n), null, 'two\'s complement');
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 0), 0x88776655dead99ffn, 'rax as the guest stored it');
  assert.equal(result(d, 1), 0x700000000000ab01n, 'rbx as the guest stored it');
});

test('writes that do not fit, unknown names and hidden parts are refused with a message', () => {
  const d = bootRegs();
  const before = readRegister(d, 'rax');
  assert.match(writeRegister(d, 'al', 0x100n) ?? '', /does not fit in 8-bit al/);
  assert.match(writeRegister(d, 'eax', 1n << 32n) ?? '', /does not fit in 32-bit eax/);
  assert.match(writeRegister(d, 'rax', 1n << 64n) ?? '', /does not fit/);
  assert.match(writeRegister(d, 'bogus', 1n) ?? '', /unknown register 'bogus'/);
  assert.match(writeRegister(d, 'ds_base', 0x1000n) ?? '', /hidden part/);
  assert.equal(readRegister(d, 'rax'), before);
  // RIP must stay canonical in 64-bit mode (SDM Vol.1 §3.3.7.1): 48-bit addresses here.
  assert.match(writeRegister(d, 'rip', 0x0000800000000000n) ?? '', /not a canonical 48-bit address/);
  assert.equal(readRegister(d, 'rip'), BigInt(label(d, 'in_func')));
});

test('rflags writes: reserved bits and VM are refused, a flag field write reaches the guest', () => {
  const d = bootRegs();
  assert.match(writeRegister(d, 'rflags', 0x446n | (1n << 3n)) ?? '', /reserved/);
  assert.match(writeRegister(d, 'rflags', 0x446n | (1n << 22n)) ?? '', /reserved/);
  assert.match(writeRegister(d, 'rflags', 0x446n | (1n << 17n)) ?? '', /VM/);
  assert.equal(readRegister(d, 'rflags'), 0x446n);
  assert.equal(writeField(d, 'rflags', 'CF', 1n), null);
  assert.match(writeField(d, 'rflags', 'CF', 2n) ?? '', /1 bit wide/);
  assert.equal(readRegister(d, 'rflags'), 0x447n);
  runTo(d, label(d, 'done'));
  assert.equal(result(d, 2), 1n, 'SETC after the write');
});

test('segment selector writes load the descriptor with MOV Sreg checks (SDM Vol.2B MOV)', () => {
  const d = bootRegs();
  // The program's GDT: 0x08 32-bit code, 0x10 64-bit code, 0x18 data, 0x20 a 64-bit TSS; limit 47.
  assert.equal(readRegister(d, 'cs'), 0x10n);
  assert.equal(readRegister(d, 'ss'), 0x18n);
  // SS needs a writable data segment: a code selector is #GP(selector).
  assert.equal(writeRegister(d, 'ss', 0x08n), 'mov SS, 0x8 would raise #GP(0x8): SS needs a writable data segment at CPL');
  assert.equal(readRegister(d, 'ss'), 0x18n);
  // Beyond the GDT limit: #GP(selector).
  assert.match(writeRegister(d, 'ds', 0x40n) ?? '', /^mov DS, 0x40 would raise #GP\(0x40\)/);
  assert.equal(readRegister(d, 'ds'), 0x18n);
  // A readable code segment may be loaded into DS; its base and limit come from the descriptor.
  assert.equal(writeRegister(d, 'ds', 0x08n), null);
  assert.equal(readRegister(d, 'ds'), 0x08n);
  assert.equal(d.cpu.segLimit[Seg.DS] >>> 0, 0xffffffff);
  // MOV cannot load CS (SDM Vol.2B MOV: #UD); the debugger says so instead of corrupting the mode.
  assert.match(writeRegister(d, 'cs', 0x08n) ?? '', /far jump/);
  assert.equal(readRegister(d, 'cs'), 0x10n);
});

test('real mode: a selector write sets base = selector × 16 (SDM Vol.3A §20.1.1)', () => {
  const d = bootDebuggee('real.S', '\t.code16\nstart:\n\tnop\n\thlt\n', { boot: 'real', load: 0x7c00 });
  assert.equal(writeRegister(d, 'ds', 0x1234n), null);
  assert.equal(readRegister(d, 'ds'), 0x1234n);
  assert.equal(readRegister(d, 'ds_base'), 0x12340n);
  assert.equal(writeRegister(d, 'es', 0xffffn), null);
  assert.equal(readRegister(d, 'es_base'), 0xffff0n);
  assert.equal(readRegister(d, 'sp'), 0x7c00n, 'SS:SP = 0:7C00 as a BIOS hands over');
});

test('CR4.LA57 cannot change while IA-32e mode is active: #GP(0), CR4 unchanged (SDM Vol.3A §4.1.1, Vol.2B MOV CR)', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  const cr4 = readRegister(d, 'cr4');
  const cr0 = d.cpu.cr0, efer = d.cpu.efer;
  const msg = writeField(d, 'cr4', 'la57', 1n);
  assert.equal(msg, 'mov to CR4 would raise #GP(0): LA57 cannot change while IA-32e mode is active');
  assert.equal(readRegister(d, 'cr4'), cr4);
  assert.equal(d.cpu.cr4 & (1 << 12), 0);
  assert.equal(d.mode().paging, '4-level');
  assert.equal(d.cpu.cr0, cr0);
  assert.equal(d.cpu.efer, efer);
  // Still refused in compatibility mode (IA-32e mode is active there too): the example's trampoline
  // turns paging off first, for this reason.
  runTo(d, 0x7c00);
  assert.equal(d.mode().mode, 'compat32');
  assert.match(writeRegister(d, 'cr4', (readRegister(d, 'cr4') ?? 0n) | (1n << 12n)) ?? '', /#GP\(0\): LA57 cannot change/);
});

test('clearing CR0.PG in 64-bit mode is #GP(0), state unchanged (SDM Vol.3A §4.1.2, §10.8.5.4)', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  const cr0 = readRegister(d, 'cr0');
  const efer = readRegister(d, 'efer');
  assert.equal(writeField(d, 'cr0', 'PG', 0n), 'mov to CR0 would raise #GP(0): clearing PG in 64-bit mode (switch to compatibility mode first)');
  assert.equal(readRegister(d, 'cr0'), cr0);
  assert.equal(readRegister(d, 'efer'), efer);
  assert.equal(d.mode().mode, 'long64');
  // CR0.PG=1 with PE=0 is #GP(0) in any mode (SDM Vol.2B MOV CR).
  assert.match(writeField(d, 'cr0', 'pe', 0n) ?? '', /#GP\(0\): PG=1 with PE=0/);
  // EFER.LMA is the processor's: refused; LME cannot change with paging on (SDM Vol.3A §10.8.5).
  assert.match(writeField(d, 'efer', 'lma', 0n) ?? '', /LMA is set and cleared by the processor/);
  assert.match(writeField(d, 'efer', 'lme', 0n) ?? '', /^wrmsr EFER would raise #GP\(0\): LME cannot change while paging is enabled/);
  assert.equal(readRegister(d, 'efer'), efer);
});

test('an accepted CR4 write is what the guest then reads (the example prints CR4)', () => {
  let out = '';
  const d = bootExample('lvl5-trampoline', 'lvl5.S', { ...LVL5, output: (b) => { out += String.fromCharCode(b); } });
  // PGE (bit 7) is a plain enable bit; the boot state has PAE only (0x20).
  assert.equal(writeField(d, 'cr4', 'PGE', 1n), null);
  runTo(d, label(d, 'lvl5'));
  // lvl5.S prints "kernel entered at …, CR4 = " + MOV from CR4 before the trampoline.
  assert.match(out, /kernel entered at 0x0000000100000000, CR4 = 0x00000000000000a0\n/);
});

test('after the lvl5 trampoline: CR4.LA57=1, EFER.LME=LMA=1, CS.L=1; in it: CS.D=1 L=0', () => {
  const d = bootExample('lvl5-trampoline', 'lvl5.S', LVL5);
  runTo(d, 0x7c00);
  // Compatibility mode through selector 0x08 = 0x00cf9a000000ffff: D=1, L=0 (SDM Vol.3A §3.4.5).
  assert.equal(readRegister(d, 'cs'), 0x08n);
  const cs = decodeDescriptor(0, (d.cpu.segAttr[Seg.CS] & 0xffff) << 8);
  assert.equal(cs.db, true);
  assert.equal(cs.l, false);
  runTo(d, label(d, 'lvl5'));
  assert.equal(readField(d, 'cr4', 'LA57'), 1n);
  assert.equal(readField(d, 'cr4', 'pae'), 1n);
  assert.equal(readField(d, 'efer', 'LMA'), 1n);
  assert.equal(readField(d, 'efer', 'LME'), 1n);
  assert.equal(readField(d, 'cr0', 'PG'), 1n);
  assert.equal(readRegister(d, 'cr3'), 0x7000n, 'LVL5_PGTABLE');
  assert.equal(readRegister(d, 'cs'), 0x10n);
  const cs64 = decodeDescriptor(0, (d.cpu.segAttr[Seg.CS] & 0xffff) << 8);
  assert.equal(cs64.l, true);
  assert.equal(cs64.db, false);
  assert.equal(d.cpu.efer & EFER_LMA, EFER_LMA);
});

test('GDT/IDT registers and MSRs read; MSR writes get WRMSR checks (SDM Vol.2B WRMSR)', () => {
  const d = bootRegs();
  assert.equal(readRegister(d, 'idtr_base'), BigInt(label(d, 'idt')));
  assert.equal(readRegister(d, 'idtr_limit'), 63n);
  assert.equal(readRegister(d, 'gdtr_limit'), 47n);
  assert.equal(readRegister(d, 'gdtr_base'), BigInt(label(d, 'gdt')));
  assert.equal(readRegister(d, 'tr'), 0x20n);
  // IA32_PAT power-up value (SDM Vol.3A §12.12.4) and IA32_APIC_BASE after reset (§11.4.4).
  assert.equal(readRegister(d, 'pat'), 0x0007040600070406n);
  assert.equal(readRegister(d, 'ia32_apic_base'), 0xfee00900n);
  assert.equal(writeRegister(d, 'lstar', 0xffff800000001000n), null);
  assert.equal(readRegister(d, 'lstar'), 0xffff800000001000n);
  // Non-canonical for the widest linear address (57 bits with la57): #GP(0).
  assert.match(writeRegister(d, 'lstar', 0x0100000000000000n) ?? '', /^wrmsr LSTAR would raise #GP\(0\): non-canonical/);
  assert.equal(readRegister(d, 'lstar'), 0xffff800000001000n);
  assert.match(writeRegister(d, 'pat', 0x02n) ?? '', /#GP\(0\): reserved memory type/);
  assert.equal(writeRegister(d, 'fs_base', 0x5000n), null);
  assert.equal(d.cpu.segBaseLo[Seg.FS], 0x5000);
  assert.equal(readRegister(d, 'sfmask'), 0n);
  assert.notEqual(readRegister(d, 'tsc'), undefined);
  assert.equal(readRegister(d, 'dr7'), 0x400n, 'DR7 after reset (SDM Vol.3A Table 9-1)');
  assert.equal(readRegister(d, 'dr6'), 0xffff0ff0n, 'DR6 after reset (SDM Vol.3A Table 9-1)');
});

test('BIT_FIELDS: SDM bit positions (Vol.1 §3.4.3, Vol.3A §2.5, §2.2.1)', () => {
  const at = (reg: string, name: string): [number, number] => {
    const f = BIT_FIELDS[reg].find((x) => x.name === name);
    assert.ok(f, `${reg}.${name}`);
    return [f.bit, f.width];
  };
  assert.deepEqual(at('rflags', 'IOPL'), [12, 2]);
  assert.deepEqual(at('rflags', 'ID'), [21, 1]);
  assert.deepEqual(at('rflags', 'VM'), [17, 1]);
  assert.deepEqual(at('cr0', 'PG'), [31, 1]);
  assert.deepEqual(at('cr0', 'WP'), [16, 1]);
  assert.deepEqual(at('cr0', 'NE'), [5, 1]);
  assert.deepEqual(at('cr3', 'PCID'), [0, 12]);
  assert.deepEqual(at('cr3', 'PCD'), [4, 1]);
  assert.deepEqual(at('cr4', 'LA57'), [12, 1]);
  assert.deepEqual(at('cr4', 'PCIDE'), [17, 1]);
  assert.deepEqual(at('cr4', 'OSXSAVE'), [18, 1]);
  assert.deepEqual(at('cr4', 'SMAP'), [21, 1]);
  assert.deepEqual(at('cr4', 'PKS'), [24, 1]);
  assert.deepEqual(at('efer', 'LMA'), [10, 1]);
  assert.deepEqual(at('efer', 'NXE'), [11, 1]);
  assert.deepEqual(at('efer', 'TCE'), [15, 1]);
});

test('decodeDescriptor: code, data, TSS, gates (SDM Vol.3A §3.4.5, Tables 3-1/3-2, §6.14.1)', () => {
  // lvl5.S's __KERNEL32_CS 0x00cf9a000000ffff: 32-bit code, flat.
  const c = decodeDescriptor(0x0000ffff, 0x00cf9a00);
  assert.equal(c.base, 0n);
  assert.equal(c.limit, 0xffffffff);
  assert.equal(c.type, 10);
  assert.equal(c.typeName, 'code execute/read');
  assert.deepEqual([c.s, c.dpl, c.p, c.g, c.db, c.l, c.avl], [true, 0, true, true, true, false, false]);
  // __KERNEL_CS 0x00af9a000000ffff: 64-bit code (L=1, D=0).
  const k = decodeDescriptor(0x0000ffff, 0x00af9a00);
  assert.deepEqual([k.l, k.db], [true, false]);
  // A byte-granular data segment with a base in all three base fields: 0x12 34 5678, limit 0x0abcd.
  const ds = decodeDescriptor(0x5678abcd, 0x120af234);
  assert.equal(ds.base, 0x12345678n);
  assert.equal(ds.limit, 0xaabcd);
  assert.equal(ds.typeName, 'data read/write');
  assert.equal(ds.dpl, 3);
  // A 64-bit TSS (available) at 0xffff_8000_0012_3000, limit 0x67, in a 16-byte descriptor.
  const tss = decodeDescriptor(0x30000067, 0x00008912, { lo: 0xffff8000 | 0, hi: 0 });
  assert.equal(tss.typeName, '64-bit TSS (available)');
  assert.equal(tss.base, 0xffff800000123000n);
  assert.equal(tss.limit, 0x67);
  // The same type outside IA-32e mode is a 32-bit TSS.
  assert.equal(decodeDescriptor(0x30000067, 0x00008912).typeName, '32-bit TSS (available)');
  // 64-bit interrupt gate: offset 0xffffffff81000010, selector 0x10, IST 2, DPL 0 (Figure 6-8).
  const g = decodeDescriptor(0x00100010, (0x81000000 | 0x8e02) | 0, { lo: -1, hi: 0 });
  assert.equal(g.typeName, '64-bit interrupt gate');
  assert.equal(g.selector, 0x10);
  assert.equal(g.offset, 0xffffffff81000010n);
  assert.equal(g.ist, 2);
  // 32-bit call gate with 3 parameters, DPL 3, to 0x08:0x00401000 (Figure 5-8).
  const cg = decodeDescriptor(0x00081000, 0x0040ec03);
  assert.equal(cg.typeName, '32-bit call gate');
  assert.equal(cg.offset, 0x401000n);
  assert.equal(cg.paramCount, 3);
  assert.equal(cg.dpl, 3);
  // Task gate: only a TSS selector (Figure 7-6).
  const tg = decodeDescriptor(0x00280000, 0x00008500);
  assert.equal(tg.typeName, 'task gate');
  assert.equal(tg.selector, 0x28);
  assert.equal(tg.offset, undefined);
});

test('a selector write whose descriptor read page-faults reports #PF and keeps CR2 and DS (SDM Vol.3A §4.7)', () => {
  const d = bootRegs();
  // The long boot maps the first 4 GiB and the program only: a GDT at 0x7000_0000_0000 is not present.
  assert.equal(writeRegister(d, 'gdtr_base', 0x700000000000n), null);
  const cr2 = readRegister(d, 'cr2');
  const msg = writeRegister(d, 'ds', 0x18n) ?? '';
  assert.match(msg, /^mov DS, 0x18 would raise #PF\(0\)/);
  assert.equal(readRegister(d, 'cr2'), cr2);
  assert.equal(readRegister(d, 'ds'), 0x18n);
  // LGDT's base must be canonical (SDM Vol.2A LGDT, 64-bit mode exceptions).
  assert.match(writeRegister(d, 'gdtr_base', 0x0100000000000000n) ?? '', /#GP\(0\): 0x100000000000000 is not canonical/);
});
