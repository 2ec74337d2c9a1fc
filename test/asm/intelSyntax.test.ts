// test/asm/intelSyntax.test.ts: `.intel_syntax noprefix` input against GNU as. The corpus is a round trip:
// every generated AT&T line of every table group (test/asm/corpus.ts) is assembled by GNU as, each
// instruction disassembled to Intel syntax by our disassembler (the text objdump -M intel prints), and
// that text assembled by GNU as and by ours: the bytes must agree. Hand-written lines cover what the
// disassembler never prints: `offset`, `sym[base]`, labels as branch targets, far pointers, `ptr` sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../assembler/index';
import { disassemble } from '../../assembler/disasm/index';
import { GROUPS, groupLines } from './corpus';
import { compareLines } from './differential';
import { gasMissing, gasText, hex } from './gas';

const missing = gasMissing();

/** GNU as's bytes for each line (16-byte slots as in differential.ts), leaving out the lines it rejects. */
function gasSlots(prologue: string, lines: string[]): { line: string; bytes: Uint8Array }[] {
  let kept = [...lines];
  for (let attempt = 0; attempt < 5 && kept.length; attempt++) {
    const g = gasText(prologue + kept.map((l) => `${l}\n.byte 0xcc\n.balign 16, 0xcc\n`).join(''));
    if (g.text) { const text = g.text; return kept.map((line, k) => ({ line, bytes: text.subarray(k * 16, k * 16 + 16) })); }
    const pro = prologue.split('\n').length - 1;
    const bad = new Set([...g.stderr.matchAll(/in\.S:(\d+): Error/g)].map((m) => Math.floor((+m[1] - 1 - pro) / 3)));
    if (bad.size === 0) throw new Error(`as failed: ${g.stderr}`);
    kept = kept.filter((_, k) => !bad.has(k));
  }
  return [];
}

for (const group of Object.keys(GROUPS)) {
  for (const mode of [16, 32, 64] as const) {
    test(`Intel syntax round trip (ours disassembled → assembled) matches GNU as: ${group}, .code${mode}`, { skip: missing ?? false }, (t) => {
      const intel = gasSlots(`.code${mode}\n`, groupLines(group, mode)).flatMap(({ bytes }) => {
        const [line] = disassemble(bytes, { bits: mode, syntax: 'intel' });
        return line && !line.bad ? [`${line.mnemonic} ${line.operands}`.trim()] : [];
      });
      const r = compareLines(`.intel_syntax noprefix\n.code${mode}\n`, intel);
      t.diagnostic(`${group} .code${mode}: ${r.passed}/${r.total} identical; GNU as rejects ${r.gasRejected.length}`);
      assert.ok(r.total >= 10, `only ${r.total} lines`);
      assert.deepEqual(r.failures.slice(0, 10), [], `${r.failures.length} lines differ`);
      assert.deepEqual(r.gasRejected.filter((x) => !x.oursRejects).map((x) => x.line), [], 'lines GNU as rejects but ours accepts');
    });
  }
}

const HAND: Record<16 | 32 | 64, string[]> = {
  64: [
    'mov rax, qword ptr [rbx+rcx*8+16]', 'mov eax, dword ptr [rbx]', 'mov eax, [rbx]', 'mov eax, dword [rbx]', 'mov al, byte ptr [rbx-1]',
    'lea rax, [rip+data]', 'lea rsi, data[rip]', 'mov eax, data', 'mov eax, offset data', 'mov rax, offset data+8', 'mov eax, data[rbx]',
    'mov eax, [rbx][rcx*4]', 'mov eax, [4*rcx+rbx+8]', 'mov eax, [rbx-8+rcx]', 'mov al, es:[rdi]', 'mov eax, fs:0x10', 'mov rax, gs:[0x28]',
    'mov dword ptr [rax], 1', 'mov word ptr [rax+2], 0x1234', 'add qword ptr [rsp+8], -1', 'inc byte ptr [rax]', 'push qword ptr [rax]',
    'push 1', 'push 0x12345678', 'pop rbx', 'movzx eax, byte ptr [rbx]', 'movsx rax, word ptr [rbx]', 'movsxd rax, dword ptr [rbx]',
    'movzx ecx, dl', 'imul eax, ebx, 5', 'imul eax, 300', 'shl eax, 1', 'shl eax, cl', 'test eax, ebx', 'xchg ebx, eax', 'in al, 0x60', 'out dx, al',
    'jmp label', 'jmp short label', 'call label', 'jz label', 'jnz data', '1: loop 1b', 'jmp rax', 'call qword ptr [rax]', 'jmp [rax+8]',
    'jmp fword ptr [rax]', 'call far ptr [rax]', 'retf', 'retf 4', 'ret 8', 'enter 16, 0', 'lgdt [rax]', 'lidt tbyte ptr [rax]',
    'mov cr3, rax', 'mov rax, cr0', 'mov ds, ax', 'mov ax, ds', 'rep movsb', 'rep stosq', 'movs byte ptr es:[rdi], byte ptr fs:[rsi]',
    'lods eax, dword ptr [esi]', 'cdqe', 'cqo', 'iretq', 'mov rax, [rax+rbx*2]',
  ],
  32: [
    'mov eax, [ebx+ecx*4+0x10]', 'mov eax, data', 'mov eax, offset data', 'lgdt fword ptr [eax]', 'lidt [eax]', 'jmp 0x08:0x1000',
    'call 0x08:label', 'jmp fword ptr [eax]', 'jmp word ptr [eax]', 'pushd 5', 'pushw 5', 'push ds', 'retf', 'mov ax, word ptr [bx+si]',
    'jmp label', 'call label', '1: jecxz 1b', 'mov byte ptr [data], 1', 'leave', 'pushad', 'popfd', 'cwde', 'cdq',
  ],
  16: [
    'mov ax, [bx+si+4]', 'mov ax, word ptr [bp]', 'mov al, [data]', 'mov si, offset data', 'jmp 0x08:0x1000', 'jmp 0:label', 'lgdt [bx]',
    'lgdt fword ptr [bx]', 'int 0x10', 'mov ah, 0x0e', 'jmp label', 'call label', 'jz label', 'jmp dword ptr [bx]', 'call far ptr [bx]',
    'mov es:[di], al', 'mov word ptr es:[di+2], 0xb800', 'retf', 'iret', 'pushf', 'mov eax, cr0', 'or eax, 1', 'mov cr0, eax',
  ],
};

for (const mode of [16, 32, 64] as const) {
  test(`Intel syntax operand forms (ptr, offset, sym[base], far pointers, labels) match GNU as in .code${mode}`, { skip: missing ?? false }, () => {
    const r = compareLines(`.intel_syntax noprefix\n.code${mode}\nlabel: nop\ndata = 0x1234\n`, HAND[mode]);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.gasRejected.map((x) => x.line), [], 'every hand-written line is valid for GNU as');
  });
}

test('.att_syntax switches back, and .intel_syntax (prefix) keeps the % on registers, as in GNU as', { skip: missing ?? false }, () => {
  const src = '.intel_syntax noprefix\nmov eax, [rbx]\n.att_syntax\nmovl (%rbx), %eax\n.intel_syntax\nmov %eax, dword ptr [%rbx+4]\n.att_syntax prefix\nret\n';
  const gas = gasText(src);
  assert.ok(gas.text, gas.stderr);
  const r = assemble(src, { file: 's.s' });
  assert.deepEqual(r.errors, []);
  assert.equal(hex(r.sections[0].data), hex(gas.text));
});

test('Intel syntax: an unsized memory operand is an error where GNU as finds the size ambiguous', () => {
  const r = assemble('.intel_syntax noprefix\ninc [rax]\nmov [rbx], 1\n', { file: 'a.s' });
  assert.deepEqual(r.errors.map((e) => `${e.line}: ${e.message}`), ["2: ambiguous operand size for 'inc'", "3: ambiguous operand size for 'mov'"]);
});
