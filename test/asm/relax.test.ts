// test/asm/relax.test.ts: branch relaxation against GNU as: forward and backward jumps to numeric local,
// .L, plain and global labels in each code size, at distances around the rel8 limit, after items that
// grow between passes (.org, .fill, branches that become rel16/rel32), as GAS's relax_frag decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../assembler/index';
import { gasMissing, gasText, hex } from './gas';

const missing = gasMissing();

/** Jumps to a target `gap` bytes of filler away, forward and backward, for one kind of label. */
function jumps(kind: 'numeric' | 'dotL' | 'plain' | 'global', n: number, gap: number): string {
  const name = kind === 'numeric' ? '7' : kind === 'dotL' ? `.Lt${n}` : `t${n}`;
  const fwd = kind === 'numeric' ? '7f' : name, back = kind === 'numeric' ? '7b' : name;
  const glob = kind === 'global' ? `.globl ${name}\n` : '';
  const fill = `.fill ${gap}, 1, 0x90\n`;
  return `${glob}jz ${fwd}\njmp ${fwd}\n${fill}${name}: nop\n${fill}jnz ${back}\njmp ${back}\n`;
}

for (const mode of [16, 32, 64]) {
  test(`.code${mode}: forward/backward jumps to local, .L, plain and global labels match GNU as`, { skip: missing ?? false }, () => {
    let src = `.code${mode}\n`;
    let n = 0;
    for (const kind of ['numeric', 'dotL', 'plain', 'global'] as const) {
      for (const gap of [0, 60, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 200]) src += jumps(kind, n++, gap);
    }
    const gas = gasText(src);
    assert.ok(gas.text, gas.stderr);
    const r = assemble(src, { file: 'relax.s' });
    assert.deepEqual(r.errors, []);
    assert.equal(hex(r.sections[0].data), hex(gas.text));
  });

  test(`.code${mode}: a jump after a growing .org, .fill and relaxed branches is sized as by GNU as`, { skip: missing ?? false }, () => {
    // The real-to-long example: `.org 510` grows in the second pass, so labels after the jz still hold
    // their first-pass addresses; the jz is rel8 in GNU as (2 bytes to its target).
    const src = `.code${mode}\n.Ls: jmp .Lfar\n.fill 20\n.org 510\n.word 0xaa55\n1: lodsb\ntestb %al,%al\njz 2f\noutb %al,$0xe9\njmp 1b\n` +
      `2: xorl %eax,%eax\njmp .Lfar\njz .Lfar2\n.fill 100, 1, 0x90\n.Lfar2: nop\n.fill 150, 1, 0x90\n.Lfar: jz .Ls\nhlt\n`;
    const gas = gasText(src);
    assert.ok(gas.text, gas.stderr);
    const r = assemble(src, { file: 'org.s' });
    assert.deepEqual(r.errors, []);
    assert.equal(hex(r.sections[0].data), hex(gas.text));
  });
}

/** Seeded programs of jumps and calls among labels, with .fill gaps and .balign between them. */
function randomPrograms(seed: number, count: number): string[] {
  let x = seed;
  const rnd = (n: number) => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x % n; };
  const out: string[] = [];
  for (let p = 0; p < count; p++) {
    const mode = [16, 32, 64][rnd(3)];
    const labels = 12;
    const lines = [`.code${mode}`];
    for (let k = 0; k < 60; k++) {
      const r = rnd(10);
      if (r < 4) lines.push(`${['jmp', 'jz', 'jnz', 'jc'][rnd(4)]} L${rnd(labels)}`);
      else if (r < 6) lines.push(`.fill ${rnd(90)}, 1, 0x90`);
      else if (r === 6) lines.push(`.balign ${[2, 4, 8, 16, 32][rnd(5)]}`);
      else if (r === 7) lines.push(`M${k}: nop`);
      else lines.push(`call L${rnd(labels)}`);
    }
    for (let j = 0; j < labels; j++) lines.splice(1 + rnd(lines.length - 1), 0, `L${j}: nop`);
    out.push(lines.join('\n') + '\n');
  }
  return out;
}

test('random mixes of jumps, .fill and .balign relax as in GNU as (stretch across alignments)', { skip: missing ?? false }, () => {
  const differ: number[] = [];
  // Seeds 1 and 4 include programs where an alignment between a jump and its target absorbs the growth.
  randomPrograms(1, 40).concat(randomPrograms(4, 40)).forEach((src, k) => {
    const gas = gasText(src);
    assert.ok(gas.text, gas.stderr);
    const r = assemble(src, { file: `random${k}.s` });
    assert.deepEqual(r.errors, []);
    if (hex(r.sections[0].data) !== hex(gas.text)) differ.push(k);
  });
  assert.deepEqual(differ, [], 'programs whose bytes differ');
});
