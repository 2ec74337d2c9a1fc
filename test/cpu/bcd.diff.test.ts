// bcd.diff.test.ts: DAA, DAS, AAA, AAS, AAM, AAD and SALC against the host CPU in 32-bit mode
// (they are invalid in 64-bit mode): every AL with every CF/AF input, random AH and other flags.
import { test } from 'node:test';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, rng } from '../support/differential';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;

/** Flags the SDM calls undefined after each instruction. */
const UNDEFINED: Record<string, number> = {
  daa: OF, // SDM Vol.2A DAA: "The OF flag is undefined."
  das: OF, // SDM Vol.2A DAS: "The OF flag is undefined."
  aaa: OF | SF | ZF | PF, // SDM Vol.2A AAA: "The OF, SF, ZF, and PF flags are undefined."
  aas: OF | SF | ZF | PF, // SDM Vol.2A AAS: "The OF, SF, ZF, and PF flags are undefined."
  aam: OF | AF | CF, // SDM Vol.2A AAM: "The OF, AF, and CF flags are undefined."
  aad: OF | AF | CF, // SDM Vol.2A AAD: "The OF, AF, and CF flags are undefined."
  salc: 0,
};

test('BCD adjustments and SALC match the host CPU (32-bit mode, exhaustive over AL, CF, AF)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xbcd;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const names: string[] = [];
  const add = (name: string, code: number[], al: number, ah: number, flags: number) => {
    const regs = hostRegs();
    regs[0] = BigInt((Math.floor(next() * 0x10000) << 16 | ah << 8 | al) >>> 0);
    regs[1] = BigInt(Math.floor(next() * 0x100000000));
    regs[3] = BigInt(DATA);
    cases.push({ mode: 32, code: Uint8Array.from(code), regs, rflags: flags });
    names.push(name);
  };
  const randomFlags = () => Math.floor(next() * 0x1000) & 0x8c4;
  for (const [name, op] of [['daa', 0x27], ['das', 0x2f], ['aaa', 0x37], ['aas', 0x3f], ['salc', 0xd6]] as const) {
    for (let al = 0; al < 256; al++) {
      for (const f of [0, CF, AF, CF | AF]) add(name, [op], al, Math.floor(next() * 256), f | randomFlags());
    }
  }
  // AAM/AAD: every AL with base 10, and random bases (AAM base 0 raises #DE, SDM Vol.2A AAM).
  for (let al = 0; al < 256; al++) {
    add('aam', [0xd4, 10], al, Math.floor(next() * 256), randomFlags());
    add('aad', [0xd5, 10], al, Math.floor(next() * 256), randomFlags());
  }
  for (let k = 0; k < caseBudget(1000); k++) {
    const base = k % 50 === 0 ? 0 : Math.floor(next() * 256);
    add('aam', [0xd4, base], Math.floor(next() * 256), Math.floor(next() * 256), randomFlags());
    add('aad', [0xd5, base], Math.floor(next() * 256), Math.floor(next() * 256), randomFlags());
  }
  const n = differential(cases, {
    seed,
    describe: (c, k) => `${names[k]} ${Buffer.from(c.code).toString('hex')}`,
    undefinedFlags: (_c, k) => UNDEFINED[names[k]],
  });
  t.diagnostic(`${n} cases`);
});
