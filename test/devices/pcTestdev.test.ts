// devices/pcTestdev.test.ts: `--device pc-testdev` against QEMU's own pc-testdev (hw/misc/pc-testdev.c):
// pcTestdev.S (read-back register at every width and offset, unaligned accesses dropped, the flush port,
// an IRQ line seen in the 8259's IRR, the MMIO buffer at 0xFF000000) runs on QEMU with -device pc-testdev
// and through `trampoline run --device pc-testdev`; the console and exit status must agree. Also: the
// device is absent unless asked for, and an unknown device name is bad input (exit 2) naming the accepted ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../cli/run';
import { bootDir, bootToolsMissing } from '../support/bootProgram';
import { QEMU, qemuMissing } from '../support/qemu';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const code = runCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** Builds test/devices/pcTestdev.S with lib.S (test/boot) into a Multiboot ELF32 in `work`. */
function build(work: string): string {
  const src = join(bootDir(), '..', 'devices', 'pcTestdev.S');
  const obj = join(work, 't.o'), elf = join(work, 't.elf');
  for (const [tool, args] of [['as', ['--32', '-I', bootDir(), '-o', obj, src]], ['ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '-o', elf, obj]]] as const) {
    const r = spawnSync(tool, [...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
  }
  return elf;
}

const missing = bootToolsMissing() ?? qemuMissing();

test('pc-testdev: the same console and exit status as QEMU -device pc-testdev', { skip: missing ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-testdev-'));
  try {
    const elf = build(work);
    const q = spawnSync(QEMU, [
      '-kernel', elf, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-device', 'pc-testdev',
      '-debugcon', 'stdio', '-display', 'none', '-no-reboot', '-nodefaults', '-serial', 'none', '-m', '256M', '-accel', 'tcg',
    ], { timeout: 20_000, encoding: 'latin1' });
    assert.equal(q.status, 7, `QEMU: ${q.stderr}`);
    // The register and buffer values follow the C code read by hand as well (QEMU proves the program).
    assert.match(q.stdout, /^12345678\n00000056\n00001234\nab345678\n/);
    const ours = run([elf, '--boot', 'multiboot', '--device', 'pc-testdev']);
    assert.equal(ours.out, q.stdout, ours.err);
    assert.equal(ours.code, q.status);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('pc-testdev: not plugged unless asked for (ports float high, MMIO reads all ones)', () => {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-testdev-'));
  try {
    const src = 'cli\n in $0xe0, %eax\n mov %eax, %ebx\n movl $0, 0xff000000\n mov 0xff000000, %ecx\n hlt\n';
    writeFileSync(join(work, 'p.S'), src);
    const r = run([join(work, 'p.S'), '--boot', 'protected', '--json']);
    const report = JSON.parse(r.out) as { regs: { rbx: string; rcx: string } };
    assert.equal(report.regs.rbx, '0xffffffff');
    assert.equal(report.regs.rcx, '0xffffffff');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('pc-testdev: an unknown --device is bad input naming the accepted devices', () => {
  const r = run(['x.S', '--device', 'isa-fdc']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--device must be one of pc-testdev, got isa-fdc/);
});
