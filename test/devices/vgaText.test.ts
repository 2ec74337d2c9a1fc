// devices/vgaText.test.ts: VGA text memory at 0xB8000 (design.md "Devices"). vgaText.S writes cells and
// reads them back; QEMU with its standard VGA (-device VGA, text mode 3 set by its VGA BIOS) is the
// reference for the console. The --json report's `screen` shows the page as text: the cells the program
// wrote, at the row and column their offsets give (offset / 2 = row * 80 + column, IBM VGA text layout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

function build(work: string): string {
  const src = join(bootDir(), '..', 'devices', 'vgaText.S');
  const obj = join(work, 'v.o'), elf = join(work, 'v.elf');
  for (const [tool, args] of [['as', ['--32', '-I', bootDir(), '-o', obj, src]], ['ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '-o', elf, obj]]] as const) {
    const r = spawnSync(tool, [...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
  }
  return elf;
}

test('VGA text memory: writes at 0xB8000–0xBFFFF read back as on QEMU\'s VGA; --json shows the screen', { skip: bootToolsMissing() ?? qemuMissing() ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-vga-'));
  try {
    const elf = build(work);
    const q = spawnSync(QEMU, [
      '-kernel', elf, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-device', 'VGA',
      '-debugcon', 'stdio', '-display', 'none', '-no-reboot', '-nodefaults', '-serial', 'none', '-m', '256M', '-accel', 'tcg',
    ], { timeout: 20_000, encoding: 'latin1' });
    assert.equal(q.stdout, '07690748\n1f211f21\n0000005a\n', q.stderr);
    const ours = run([elf, '--boot', 'multiboot']);
    assert.equal(ours.out, q.stdout, ours.err);
    assert.equal(ours.code, q.status);

    const report = JSON.parse(run([elf, '--boot', 'multiboot', '--json']).out) as { screen: string; console: string };
    const rows = report.screen.split('\n');
    assert.equal(rows.length, 25);
    assert.equal(rows[0], 'Hi');
    assert.equal(rows[24], ' '.repeat(78) + '!!');
    assert.ok(rows.slice(1, 24).every((r) => r === ''));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
