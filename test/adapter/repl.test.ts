// repl.test.ts: the Debug Console commands on the lvl5 example — memory dumps, disassembly of the 32-bit
// trampoline against GNU objdump and the source, page walks before and after the 4→5-level switch (SDM
// Vol.3A §4.5), the example's GDT (SDM Vol.3A §3.4.5), the TLB, help and completions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replCommand, replCompletions } from '../../adapter/repl';
import { binutilsMissing, normalise, objdumpBinary } from '../support/objdump';
import { bootSource, label, lvl5, PGTABLE, runTo, TRAMPOLINE } from './lvl5Debuggee';

function run(d: Parameters<typeof replCommand>[0], line: string): string {
  const out = replCommand(d, line);
  assert.ok(out !== null, `${line} is a command`);
  assert.doesNotMatch(out, /internal error/, line);
  return out;
}

/** The source line (1-based) of lvl5.S containing `text`. */
function sourceLine(l: ReturnType<typeof lvl5>, text: string): number {
  const n = l.text.split('\n').findIndex((s) => s.includes(text)) + 1;
  assert.ok(n > 0, text);
  return n;
}

const hex16 = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

test('x/8gx shows the PML5 entry the program wrote, in GDB layout', () => {
  const l = lvl5();
  const { d } = l;
  const store = l.d.lines.resolve(l.file, sourceLine(l, 'movq\t%rax, LVL5_PGTABLE') + 1);
  assert.ok(store);
  runTo(d, store.addresses[0]);
  const cr3 = BigInt(d.cpu.cr3Lo >>> 0);
  const out = run(d, `x/8gx ${PGTABLE}`).split('\n');
  // GDB prints two giant words per line.
  assert.equal(out.length, 4);
  // `leaq 0x7(%rdi), %rax` with %rdi = CR3, stored at LVL5_PGTABLE; the rest of the page was zero.
  assert.equal(out[0], `0x0000000000007000:\t${hex16(cr3 + 7n)}\t${hex16(0n)}`);
  assert.equal(out[3], `0x0000000000007030:\t${hex16(0n)}\t${hex16(0n)}`);
  assert.equal(run(d, 'x/2wx phys:0x7000'), `phys:0x0000000000007000:\t0x${(cr3 + 7n).toString(16).padStart(8, '0')}\t0x00000000`);
  // Bytes of the first instruction, leaq gdt(%rip), %rax: REX.W 8D /r (SDM Vol.2 LEA).
  assert.match(run(d, 'x/3xb startup_64'), /^0x0000000100000000 <startup_64>:\t0x48\t0x8d\t0x05$/);
  assert.equal(run(d, 'x/s msg_hello'), '0x0000000100000' + (label(d, 'msg_hello') - 0x1_0000_0000).toString(16).padStart(3, '0') + ' <msg_hello>:\t"kernel entered at "');
  assert.match(run(d, 'x/2gx 0x800000000000'), /not canonical/);
  assert.match(run(d, 'x/zz 0'), /unknown letter 'z'/);
});

test('x/4i at the trampoline decodes 32-bit code as objdump does, with source lines', (t) => {
  const l = lvl5();
  const { d } = l;
  runTo(d, TRAMPOLINE);
  const out = run(d, 'x/4i $rip').split('\n');
  assert.equal(out[0], '32-bit code at 0x7c00:');
  const rows = out.slice(1);
  assert.equal(rows.length, 4);
  assert.match(rows[0], /^=>\s+0x0000000000007c00\s+<lvl5_trampoline>\s+b8 18 00 00 00\s+mov\s+\$0x18,%eax\s+lvl5\.S:(\d+)$/);
  // The source lines of the trampoline's first four instructions, in order.
  const expectLines = ['movl\t$__KERNEL_DS, %eax', 'movl\t%eax, %ds', 'movl\t%eax, %ss', 'movl\t%cr0, %eax'].map((s) => sourceLine(l, s));
  rows.forEach((r, k) => assert.ok(r.endsWith(`lvl5.S:${expectLines[k]}`), r));
  const why = binutilsMissing();
  if (why !== null) return t.skip(why);
  // GNU objdump -d -m i386 on the same bytes.
  const bytes = d.readLinear(TRAMPOLINE, 32).bytes;
  const ref = objdumpBinary(bytes, 32).slice(0, 4);
  rows.forEach((r, k) => {
    const cells = /^(?:=>)?\s+(0x[0-9a-f]+)\s+<[^>]*>\s+((?:[0-9a-f]{2} )*[0-9a-f]{2})\s{2,}(.*?)\s{2,}lvl5\.S:\d+$/.exec(r);
    assert.ok(cells, r);
    assert.equal(Number(cells[1]), TRAMPOLINE + ref[k].addr);
    assert.equal(cells[2], ref[k].bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '));
    assert.equal(normalise(cells[3]), ref[k].text);
  });
});

test('disas: default at the next instruction, ADDR and count, in the code size of the mode', () => {
  const { d } = lvl5();
  runTo(d, label(d, 'lvl5'));
  const out = run(d, 'disas').split('\n');
  assert.equal(out[0], '64-bit code at 0x100000085:');
  assert.equal(out.length, 11);
  assert.match(out[1], /^=>\s+0x0000000100000085\s+<lvl5>\s+48 8d 35 .* lea\s+0x[0-9a-f]+\(%rip\),%rsi\s+# [0-9a-f]+ <msg_back>/);
  const three = run(d, 'disas lvl5_trampoline@runtime 3').split('\n');
  assert.equal(three.length, 4);
  assert.match(three[1], /^\s+0x0000000000007c00\s+<lvl5_trampoline>/);
  assert.match(run(d, 'disas/32 0x7c00 1'), /^32-bit code at 0x7c00:\n\s+0x0000000000007c00\s+<lvl5_trampoline>\s+b8 18 00 00 00\s+mov\s+\$0x18,%eax/);
  assert.match(run(d, 'disas/intel/32 0x7c00 1'), /mov\s+eax,0x18/);
  assert.match(run(d, 'disas nosuch'), /unknown register or symbol 'nosuch'/);
});

test('pt walks 4 levels from CR3 before the switch and 5 after it (SDM Vol.3A §4.5)', () => {
  const { d } = lvl5();
  // Linear-address fields of 4/5-level paging (SDM Vol.3A Figures 4-8, 4-9): PML5 56:48, PML4 47:39,
  // PDPT 38:30, PD 29:21, PT 20:12.
  const index = (linear: bigint, shift: bigint): string => String((linear >> shift) & 511n);
  const lin = BigInt(label(d, 'lvl5'));
  const before = run(d, 'pt lvl5').split('\n');
  assert.equal(before[0], `linear ${hex16(lin)}: 4-level paging, CR3 0x${(d.cpu.cr3Lo >>> 0).toString(16)}`);
  const rowsBefore = before.slice(2, -1).map((r) => r.split(/\s{2,}/));
  assert.equal(rowsBefore[0][0], 'PML4E');
  assert.equal(rowsBefore[0][1], `0x${(d.cpu.cr3Lo >>> 0).toString(16)}`, 'the walk starts at CR3');
  assert.equal(rowsBefore[0][2], index(lin, 39n));
  assert.equal(rowsBefore[1][0], 'PDPTE');
  assert.equal(rowsBefore[1][2], index(lin, 30n));
  const levelsBefore = rowsBefore.map((r) => r[0]);
  assert.ok(['PML4E,PDPTE', 'PML4E,PDPTE,PDE', 'PML4E,PDPTE,PDE,PTE'].includes(levelsBefore.join(',')), levelsBefore.join(','));
  // The kernel runs where it was loaded (the guest printed startup_64's address): identity-mapped.
  assert.match(before[before.length - 1], new RegExp(`^→ physical 0x${lin.toString(16)} `));

  runTo(d, label(d, 'lvl5'));
  const after = run(d, 'pt lvl5').split('\n');
  assert.equal(after[0], `linear ${hex16(lin)}: 5-level paging, CR3 0x${PGTABLE.toString(16)}`);
  const rowsAfter = after.slice(2, -1).map((r) => r.split(/\s{2,}/));
  assert.deepEqual(rowsAfter.map((r) => r[0]), ['PML5E', ...levelsBefore]);
  assert.equal(rowsAfter[0][1], '0x7000', 'LVL5_PGTABLE');
  assert.equal(rowsAfter[0][2], index(lin, 48n));
  // The PML5E is the program's CR3 | 7, with the accessed flag the walk set (SDM Vol.3A §4.8).
  const pml5e = BigInt(d.machine.phys.read32(PGTABLE) >>> 0);
  assert.equal(pml5e & ~0x20n, BigInt(rowsBefore[0][1]) + 7n);
  assert.equal(rowsAfter[0][4], hex16(pml5e));
  assert.match(rowsAfter[0][5], /^P RW US/);
  assert.deepEqual(rowsAfter.slice(1).map((r) => r.slice(0, 3)), rowsBefore.map((r) => r.slice(0, 3)), 'then the old 4-level tables');
  assert.match(after[after.length - 1], new RegExp(`^→ physical 0x${lin.toString(16)} `));
  // Nothing at PML4 index 256: #PF with error code 0 (P=0, read, supervisor: SDM Vol.3A §4.7).
  const miss = run(d, 'pt 0x800000000000').split('\n');
  assert.equal(miss[miss.length - 1], '→ #PF(0x0) paging-structure entry not present (error code: not present, read, supervisor)');
});

test("info gdt decodes the example's GDT (SDM Vol.3A §3.4.5, Table 3-1)", () => {
  const { d } = lvl5();
  runTo(d, TRAMPOLINE);
  const out = run(d, 'info gdt').split('\n');
  // lgdt gdt_desc: limit gdt_end - gdt - 1 = 0x1f, base the label gdt.
  assert.equal(out[0], `GDT base 0x${label(d, 'gdt').toString(16)} limit 0x1f`);
  const rows = out.slice(1).map((r) => r.split(/\s{2,}/));
  assert.deepEqual(rows.map((r) => r[0]), ['GDT[0x00]', 'GDT[0x08]', 'GDT[0x10]', 'GDT[0x18]']);
  assert.deepEqual(rows[0].slice(1), ['0x0000000000000000', 'null']);
  // 0x08 was loaded into CS by the lretq: the processor set its accessed bit (type 0xa → 0xb).
  assert.equal(rows[1][1], '0x00cf9b000000ffff');
  assert.equal(rows[1][2], 'code execute/read, accessed base=0x0 limit=0xffffffff DPL=0 P G D');
  assert.equal(rows[2][1], '0x00af9a000000ffff');
  assert.equal(rows[2][2], 'code execute/read base=0x0 limit=0xffffffff DPL=0 P G L');
  assert.equal(rows[3][1], '0x00cf92000000ffff');
  assert.equal(rows[3][2], 'data read/write base=0x0 limit=0xffffffff DPL=0 P G B');
  assert.match(run(d, 'info idt'), /^IDT base 0x[0-9a-f]+ limit 0x[0-9a-f]+/);
});

test('info registers, info mode, info tlb, info symbols, p', () => {
  const { d } = lvl5();
  runTo(d, label(d, 'lvl5'));
  // movl $(X86_CR0_PG | X86_CR0_PE), %eax in the trampoline.
  assert.match(run(d, 'i r rax'), /^rax\s+0x80000001\s+2147483649$/);
  assert.match(run(d, 'info registers cr4'), /^cr4\s+0x1020\s+\[ LA57 PAE \]$/);
  const all = run(d, 'info reg');
  for (const r of ['rax', 'r15', 'rip', 'eflags', 'cs', 'fs_base', 'cr3', 'efer']) assert.match(all, new RegExp(`^${r}\\s+0x`, 'm'));
  assert.match(all, /^rip\s+0x100000085\s+0x100000085 <lvl5>$/m);
  assert.match(run(d, 'info registers nosuch'), /unknown register 'nosuch'/);
  const mode = run(d, 'info mode');
  assert.match(mode, /^mode\s+long64/m);
  assert.match(mode, /^paging\s+5-level/m);
  assert.match(mode, /CR4\.LA57=1/);
  // Fetches from the kernel's page since CR4 changed (which flushed the TLB) cached its translation for
  // execution; whether a data read there was cached too depends on what the code read since.
  const tlb = run(d, 'info tlb');
  assert.match(tlb, /^0x0000000100000000\s+0x100000000\s+1 GiB\s+[R-]-X/m);
  assert.match(run(d, 'info symbols trampoline'), /lvl5_trampoline\s+runs at 0x7c00/);
  assert.match(run(d, 'info sym 0x7c05'), /^0x7c05 is lvl5_trampoline \+ 5 \(copy of 0x[0-9a-f]+\) at .*lvl5\.S:\d+$/);
  assert.equal(run(d, 'p cr4.la57'), '1');
  assert.equal(run(d, 'p/x cr4'), '0x1020');
  assert.equal(run(d, 'p/d -1'), '-1');
  assert.equal(run(d, 'print/s msg_back'), 'back in the kernel at ');
  assert.equal(replCommand(d, 'rax + 1'), null, 'expressions are not commands');
  assert.equal(replCommand(d, 'cr4.la57'), null);
});

test('help names every command and the expression grammar', () => {
  const { d } = lvl5();
  const help = run(d, 'help');
  for (const w of ['x/Nfu', 'info registers', 'info tlb', 'pt ADDR', 'disas', 'info gdt', 'info idt', 'info mode', 'info symbols', 'info sym', 'p[/f]',
    'cr4.la57', 'label@runtime', '*(u64*)', 'qword [', 'phys:', '&&', '{cr4:x}']) assert.ok(help.includes(w), w);
});

test('completions: commands, info subcommands, registers, bit fields, labels', () => {
  const { d } = lvl5();
  const labels = (text: string, column = text.length + 1): string[] => replCompletions(d, text, column).map((c) => c.label);
  assert.deepEqual(labels('info re'), ['registers']);
  assert.deepEqual(replCompletions(d, 'info re', 8)[0], { label: 'registers', type: 'keyword', start: 6, length: 2 });
  assert.ok(labels('p cr4.la').includes('cr4.la57'));
  assert.ok(labels('p $ra').includes('$rax'));
  assert.deepEqual(labels('p lvl5_t'), ['lvl5_trampoline', 'lvl5_trampoline_end']);
  assert.ok(labels('dis').includes('disas'));
  assert.ok(!labels('x/4i ').includes('disas'), 'commands only at the start');
  assert.ok(labels('x/4i $r').includes('$rip'));
});

test('real mode: the IVT (SDM Vol.3A §20.1.4), 16-bit disassembly at CS:IP, 32-bit register names', () => {
  const d = bootSource(['.code16', 'start:', '  mov $0x07c0, %ax', '  mov %ax, %ds', '  cli', '  hlt'].join('\n'), 'real', 0x7c00);
  assert.match(run(d, 'info mode'), /^mode\s+real \(real-address mode\)$/m);
  const ivt = run(d, 'info idt').split('\n');
  // IDTR as RESET leaves it, base 0 limit 0xFFFF (SDM Vol.3A §9.1.4, Table 9-1): 256 vectors are listed.
  assert.match(ivt[0], /^IVT \(real mode\) base 0x0 limit 0xffff$/);
  // Each vector is 4 bytes: the offset in the low word, the segment in the high word.
  const at = (v: number): string => {
    const off = d.machine.phys.read8(v * 4) | (d.machine.phys.read8(v * 4 + 1) << 8);
    const seg = d.machine.phys.read8(v * 4 + 2) | (d.machine.phys.read8(v * 4 + 3) << 8);
    return `0x${seg.toString(16).padStart(4, '0')}:0x${off.toString(16).padStart(4, '0')}`;
  };
  assert.equal(ivt.length, 257);
  assert.match(ivt[1 + 0x10], new RegExp(`^IVT\\[0x10\\]\\s+${at(0x10)}$`));
  assert.match(ivt[1 + 0x13], new RegExp(`^IVT\\[0x13\\]\\s+${at(0x13)}$`));
  const code = run(d, 'x/2i cs:ip').split('\n');
  assert.equal(code[0], '16-bit code at 0x7c00:');
  // mov $0x7c0,%ax is B8 iw in 16-bit code (SDM Vol.2B MOV): no operand-size prefix.
  assert.match(code[1], /^=>\s+0x00007c00\s+<start>\s+b8 c0 07\s+mov\s+\$0x7c0,%ax/);
  assert.match(code[2], /8e d8\s+mov\s+%ax,%ds/);
  assert.match(run(d, 'i r'), /^eax\s+0x/m);
  assert.doesNotMatch(run(d, 'i r'), /^rax/m);
});

test('fuzz: random command lines never throw and never reach an internal error', () => {
  const { d } = lvl5();
  runTo(d, TRAMPOLINE);
  let seed = 5;
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
  const heads = ['x', 'x/', 'x/8gx', 'x/4i', 'x/s', 'x/0x', 'x/99999b', 'info', 'i r', 'info registers', 'info tlb', 'info gdt', 'info idt',
    'info sym', 'info symbols', 'pt', 'disas', 'disas/32', 'disas/bad', 'p', 'p/x', 'print/s', 'help', 'info nonsense'];
  const tails = ['', ' 0x7000', ' $rip', ' phys:0x7000', ' lvl5 3', ' (', ' 0xffffffffffffffff', ' rax +', ' ds:si', ' -1', ' [0x7000]', ' "', ' 1 2 3', ' cr4.la57'];
  for (let k = 0; k < 2000; k++) {
    const line = heads[Math.floor(rnd() * heads.length)] + tails[Math.floor(rnd() * tails.length)] + (rnd() < 0.2 ? tails[Math.floor(rnd() * tails.length)] : '');
    let out: string | null = null;
    assert.doesNotThrow(() => { out = replCommand(d, line); }, line);
    if (out !== null) assert.doesNotMatch(out, /internal error/, line);
    assert.doesNotThrow(() => replCompletions(d, line, Math.floor(rnd() * (line.length + 2))), line);
  }
});
