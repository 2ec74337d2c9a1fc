// fpuFormat.test.ts: the 80-bit double extended-precision class and decimal value the debugger shows
// (adapter/fpuFormat.ts), checked against the SDM's encodings (Vol.1 §4.2.2 Table 4-3, §8.2.2 Table 8-3,
// §8.3.8 Table 8-6), against the host's C library (glibc's printf("%.21Lg") of the same ten bytes, through
// a small C program compiled at test time), and against the host FPU (the constants FLD1…FLDLN2 load,
// stored by FXSAVE; FXAM's classification of each encoding, SDM Vol.2A FXAM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeExtended, describeBinary, describeExtended, extendedDecimal, ExtendedClass, parseBinary } from '../../adapter/fpuFormat';
import { DATA, hostCpuAvailable, hostRegs, runOnHost } from '../host/hostCpu';
import { rng } from '../support/random';

/** Ten little-endian bytes from the SDM's notation: sign+exponent (4 hex digits), then the 64-bit significand. */
function bytesOf(se: number, significand: bigint): Uint8Array {
  const b = new Uint8Array(10);
  for (let k = 0; k < 8; k++) b[k] = Number((significand >> BigInt(8 * k)) & 0xffn);
  b[8] = se & 0xff;
  b[9] = se >> 8;
  return b;
}

const hex20 = (b: Uint8Array): string => Array.from(b).reverse().map((x) => x.toString(16).padStart(2, '0')).join('');

const kindOf = (se: number, s: bigint): ExtendedClass => decodeExtended(bytesOf(se, s)).kind;

test('classes of the SDM encodings (Vol.1 Table 4-3, Table 8-3)', () => {
  assert.equal(kindOf(0x3fff, 0x8000000000000000n), 'normal'); // 1.0 (§4.2.2)
  assert.equal(kindOf(0x0000, 0n), 'zero');
  assert.equal(kindOf(0x8000, 0n), 'zero');
  assert.equal(kindOf(0x0000, 1n), 'denormal'); // exponent 0, J = 0, fraction ≠ 0
  assert.equal(kindOf(0x0000, 0x8000000000000001n), 'pseudo-denormal'); // exponent 0, J = 1 (Table 8-3)
  assert.equal(kindOf(0x4000, 0x4000000000000000n), 'unnormal'); // J = 0 with a normal exponent (Table 8-3)
  assert.equal(kindOf(0x7fff, 0x8000000000000000n), 'infinity');
  assert.equal(kindOf(0xffff, 0x8000000000000000n), 'infinity');
  assert.equal(kindOf(0x7fff, 0x0000000000000000n), 'pseudo-infinity'); // Table 8-3
  assert.equal(kindOf(0x7fff, 0x4000000000000000n), 'pseudo-nan'); // J = 0, Table 8-3
  assert.equal(kindOf(0x7fff, 0x8000000000000001n), 'snan'); // fraction 0x…, bit 62 clear
  assert.equal(kindOf(0x7fff, 0xc000000000000001n), 'qnan'); // bit 62 set
  assert.equal(kindOf(0xffff, 0xc000000000000000n), 'indefinite'); // Table 4-3: QNaN floating-point indefinite
  assert.equal(describeExtended(decodeExtended(bytesOf(0xffff, 0xc000000000000000n))), '-QNaN (real indefinite)');
  assert.equal(describeExtended(decodeExtended(bytesOf(0xffff, 0x8000000000000000n))), '-inf');
  assert.equal(describeExtended(decodeExtended(bytesOf(0x4000, 0x4000000000000000n))), 'unsupported (unnormal)');
  assert.match(describeExtended(decodeExtended(bytesOf(0x0000, 1n))), /^3\.64519953188247460253e-4951 \(denormal\)$/);
});

test('SDM values: 1.0 = 3FFF 8000000000000000h (§4.2.2), FLDPI to nearest = 4000 C90FDAA22168C235h (Table 8-6)', () => {
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x3fff, 0x8000000000000000n))), '1');
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0xbfff, 0x8000000000000000n))), '-1');
  // π to 21 significant digits is 3.14159265358979323846; the nearest 64-bit significand is above it.
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x4000, 0xc90fdaa22168c235n))), '3.14159265358979323851');
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x8000, 0n))), '-0');
  // <float.h> for the x87 format (GCC's __LDBL_MAX__, __LDBL_MIN__): largest normal, smallest normal.
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x7ffe, 0xffffffffffffffffn))), '1.18973149535723176502e+4932');
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x0001, 0x8000000000000000n))), '3.36210314311209350626e-4932');
  assert.equal(extendedDecimal(decodeExtended(bytesOf(0x7fff, 0x8000000000000000n))), null, 'no decimal for infinity');
});

test('float lanes: shortest decimal, C spellings of specials', () => {
  assert.equal(describeBinary(0x3dcccccdn, 32), '0.1'); // IEEE 754 single nearest 0.1
  assert.equal(describeBinary(0x3fb999999999999an, 64), '0.1');
  assert.equal(describeBinary(0x7f800000n, 32), 'inf');
  assert.equal(describeBinary(0xff800000n, 32), '-inf');
  assert.equal(describeBinary(0x7fc00000n, 32), 'QNaN');
  assert.equal(describeBinary(0x7f800001n, 32), 'SNaN');
  assert.equal(describeBinary(0x8000000000000000n, 64), '-0');
  assert.equal(parseBinary('1.5', 64), 0x3ff8000000000000n);
  assert.equal(parseBinary('-inf', 32), 0xff800000n);
  assert.equal(parseBinary('15', 32), null, 'an integer is raw bits, not a float');
});

/** Encodings to compare with the host: the SDM's, boundaries, and seeded random ones of every class. */
function encodings(): Uint8Array[] {
  const out: Uint8Array[] = [
    bytesOf(0x3fff, 0x8000000000000000n), bytesOf(0x4000, 0xc90fdaa22168c235n), bytesOf(0x0000, 0n), bytesOf(0x8000, 0n),
    bytesOf(0x0000, 1n), bytesOf(0x8000, 0x7fffffffffffffffn), bytesOf(0x0000, 0x8000000000000000n), bytesOf(0x0000, 0xffffffffffffffffn),
    bytesOf(0x7ffe, 0xffffffffffffffffn), bytesOf(0x0001, 0x8000000000000000n), bytesOf(0x403e, 0xffffffffffffffffn),
    bytesOf(0x3ffe, 0x8000000000000000n), bytesOf(0x4002, 0xa000000000000000n), bytesOf(0x3ffb, 0xcccccccccccccccdn),
    bytesOf(0x3ff1, 0x8000000000000000n), bytesOf(0x3ff0, 0x8000000000000000n), bytesOf(0x4034, 0x8000000000000000n),
    bytesOf(0x4035, 0x8000000000000000n), bytesOf(0x7fff, 0x8000000000000000n), bytesOf(0xffff, 0x8000000000000000n),
  ];
  const r = rng(0x87);
  const u64 = (): bigint => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  for (let k = 0; k < 300; k++) {
    const sign = r() < 0.5 ? 0x8000 : 0;
    const pick = r();
    // Mostly normals of any exponent, some near 1, some denormals and pseudo-denormals.
    let se: number, s = u64();
    if (pick < 0.5) { se = 1 + Math.floor(r() * 0x7ffe); s |= 1n << 63n; }
    else if (pick < 0.8) { se = 0x3fff - 70 + Math.floor(r() * 140); s |= 1n << 63n; }
    else if (pick < 0.9) { se = 0; s &= (1n << 63n) - 1n; }
    else { se = 0; s |= 1n << 63n; }
    out.push(bytesOf(sign | se, s));
  }
  return out;
}

/** Compiles a C program that prints each input line's ten bytes (20 hex digits, big endian) with %.21Lg. */
function hostPrintf(lines: string[]): string[] | string {
  const gcc = spawnSync('gcc', ['--version']);
  if (gcc.error || gcc.status !== 0) return 'gcc not found';
  if (process.arch !== 'x64') return `long double is not the x87 format on ${process.arch}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'fpuformat-'));
  const c = path.join(dir, 'ldbl.c'), exe = path.join(dir, 'ldbl');
  writeFileSync(c, `#include <stdio.h>
#include <string.h>
int main(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    unsigned char b[sizeof(long double)] = {0};
    for (int k = 0; k < 10; k++) { unsigned v; sscanf(line + 2 * (9 - k), "%2x", &v); b[k] = (unsigned char)v; }
    long double x;
    memcpy(&x, b, sizeof x);
    printf("%.21Lg\\n", x);
  }
  return 0;
}
`);
  const built = spawnSync('gcc', ['-O1', '-o', exe, c], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`gcc: ${built.stderr}`);
  const run = spawnSync(exe, [], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ldbl: ${run.stderr}`);
  return run.stdout.trimEnd().split('\n');
}

test('decimal values equal glibc printf("%.21Lg") of the same bytes (finite values, infinities)', (t) => {
  const all = encodings();
  const host = hostPrintf(all.map(hex20));
  if (typeof host === 'string') { t.skip(host); return; }
  assert.equal(host.length, all.length);
  let compared = 0;
  all.forEach((b, k) => {
    const x = decodeExtended(b);
    // glibc's printf ignores J at exponent 0 (it prints a pseudo-denormal as the denormal without J); the
    // FPU counts it (next test), so pseudo-denormals are compared through the FPU's normalized result.
    if (x.kind === 'pseudo-denormal') return;
    const ours = x.kind === 'infinity' ? (x.negative ? '-inf' : 'inf') : extendedDecimal(x);
    assert.ok(ours !== null, `${hex20(b)} is finite or infinite`);
    assert.equal(ours, host[k], `${hex20(b)} (${x.kind})`);
    compared++;
  });
  assert.ok(compared >= 250, `${compared} compared`);
});

test('host FPU: FLD1 FLDZ FLDPI FLDL2T FLDL2E FLDLG2 FLDLN2 as FXSAVE stores them, shown as printf shows them', (t) => {
  const skip = hostCpuAvailable();
  if (skip) { t.skip(skip); return; }
  // fninit; fld1; fldz; fldpi; fldl2t; fldl2e; fldlg2; fldln2; fxsave (%rdi) — raw bytes (SDM Vol.2A opcode tables).
  const code = new Uint8Array([0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0xeb, 0xd9, 0xe9, 0xd9, 0xea, 0xd9, 0xec, 0xd9, 0xed, 0x0f, 0xae, 0x07]);
  const [r] = runOnHost([{ mode: 64, code, regs: hostRegs({ rdi: DATA }), rflags: 0, data: { offset: 0, bytes: new Uint8Array(512) } }]);
  assert.equal(r.fault, undefined);
  // FXSAVE keeps ST(i) at 32 + 16i (SDM Vol.2A FXSAVE Table 3-53): ST(0) is the last loaded (ln 2).
  const st = (i: number): Uint8Array => r.data.slice(32 + 16 * i, 42 + 16 * i);
  assert.equal(hex20(st(4)), '4000c90fdaa22168c235', 'FLDPI to nearest (SDM Vol.1 Table 8-6)');
  assert.equal(hex20(st(6)), '3fff8000000000000000', 'FLD1');
  assert.equal(decodeExtended(st(5)).kind, 'zero');
  const stack = [0, 1, 2, 3, 4, 5, 6].map(st);
  const host = hostPrintf(stack.map(hex20));
  if (typeof host === 'string') { t.skip(host); return; }
  assert.deepEqual(stack.map((b) => extendedDecimal(decodeExtended(b))), host);
});

/** FXAM's C3 C2 C0 per class (SDM Vol.2A FXAM, Table 3-xx "FXAM Results"). */
const FXAM: Record<ExtendedClass, number> = {
  'unnormal': 0b000, 'pseudo-infinity': 0b000, 'pseudo-nan': 0b000,
  'qnan': 0b001, 'snan': 0b001, 'indefinite': 0b001,
  'normal': 0b010, 'infinity': 0b011, 'zero': 0b100, 'denormal': 0b110, 'pseudo-denormal': 0b110,
};

test('host FPU: FXAM classifies every encoding class as decodeExtended does (incl. Table 8-3 encodings)', (t) => {
  const skip = hostCpuAvailable();
  if (skip) { t.skip(skip); return; }
  const samples = [
    bytesOf(0x3fff, 0x8000000000000000n), bytesOf(0x0000, 0n), bytesOf(0x8000, 0n), bytesOf(0x0000, 1n),
    bytesOf(0x0000, 0x8000000000000001n), bytesOf(0x4000, 0x4000000000000000n), bytesOf(0x7fff, 0x8000000000000000n),
    bytesOf(0x7fff, 0n), bytesOf(0x7fff, 0x4000000000000000n), bytesOf(0x7fff, 0x8000000000000001n),
    bytesOf(0xffff, 0xc000000000000001n), bytesOf(0xffff, 0xc000000000000000n), bytesOf(0x1234, 0x1234n),
  ];
  // fninit; fldt (%rsi); fxam; fnstsw (%rdi)
  const code = new Uint8Array([0xdb, 0xe3, 0xdb, 0x2e, 0xd9, 0xe5, 0xdd, 0x3f]);
  const cases = samples.map((b) => {
    const bytes = new Uint8Array(32);
    bytes.set(b, 16);
    return { mode: 64 as const, code, regs: hostRegs({ rdi: DATA, rsi: DATA + 16 }), rflags: 0, data: { offset: 0, bytes } };
  });
  const results = runOnHost(cases);
  samples.forEach((b, k) => {
    assert.equal(results[k].fault, undefined, hex20(b));
    const fsw = results[k].data[0] | (results[k].data[1] << 8);
    const c320 = (((fsw >> 14) & 1) << 2) | (((fsw >> 10) & 1) << 1) | ((fsw >> 8) & 1);
    const kind = decodeExtended(b).kind;
    assert.equal(c320, FXAM[kind], `${hex20(b)}: FXAM C3C2C0=${c320.toString(2).padStart(3, '0')}, ours ${kind}`);
  });
});

test('host FPU: a pseudo-denormal is worth what FMUL by 1.0 normalizes it to (SDM Vol.1 §8.2.2), printed by printf', (t) => {
  const skip = hostCpuAvailable();
  if (skip) { t.skip(skip); return; }
  const samples = encodings().filter((b) => decodeExtended(b).kind === 'pseudo-denormal');
  assert.ok(samples.length >= 10, `${samples.length} pseudo-denormals`);
  // fninit; fldt (%rsi); fld1; fmulp; fstpt (%rdi)
  const code = new Uint8Array([0xdb, 0xe3, 0xdb, 0x2e, 0xd9, 0xe8, 0xde, 0xc9, 0xdb, 0x3f]);
  const results = runOnHost(samples.map((b) => {
    const bytes = new Uint8Array(32);
    bytes.set(b, 16);
    return { mode: 64 as const, code, regs: hostRegs({ rdi: DATA, rsi: DATA + 16 }), rflags: 0, data: { offset: 0, bytes } };
  }));
  const normalized = results.map((r) => r.data.slice(0, 10));
  const host = hostPrintf(normalized.map(hex20));
  if (typeof host === 'string') { t.skip(host); return; }
  samples.forEach((b, k) => {
    assert.equal(decodeExtended(normalized[k]).kind, 'normal', `${hex20(b)} → ${hex20(normalized[k])}`);
    assert.equal(extendedDecimal(decodeExtended(b)), host[k], `${hex20(b)} → ${hex20(normalized[k])}`);
  });
});
