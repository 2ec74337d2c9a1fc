// boot/realtrip.test.ts: the boot sector test/boot/realtrip.S — real mode → protected mode → 64-bit mode
// and back through compatibility mode, paging off, 16-bit protected mode and CR0.PE = 0 to real mode —
// booted from a disk image under QEMU + SeaBIOS and on ours (built-in BIOS): the same port-0xE9 console
// (realtrip.expected, reviewed against SDM Vol.3A §10.8.5, §10.8.5.4, §10.9.2) and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootDir, buildBootSector, runBootSector } from '../support/bootProgram';
import { qemuMissing, runBootSectorOnQemu } from '../support/qemu';

const qemu = qemuMissing();

test('boot realtrip: real -> protected -> 64-bit -> compat -> paging off -> 16-bit protected -> real mode', { timeout: 30_000 }, (t) => {
  const image = buildBootSector('realtrip');
  const want = readFileSync(join(bootDir(), 'realtrip.expected'), 'latin1');
  if (qemu === null) {
    const q = runBootSectorOnQemu(image);
    assert.equal(q.timedOut, false, `timed out on QEMU; console so far:\n${q.console}\n${q.stderr}`);
    assert.equal(q.console, want, "QEMU's console differs from realtrip.expected");
    assert.equal(q.exitCode, 1, `QEMU's exit status (stderr: ${q.stderr})`);
  } else {
    t.diagnostic(`QEMU skipped: ${qemu}`);
  }
  const o = runBootSector(image);
  assert.equal(o.console, want, `our console differs (stop=${o.stop}${o.exception ? `, ${o.exception}` : ''})`);
  assert.equal(o.stop, 'exit');
  assert.equal(o.exitCode, 1, 'our exit status: (0 << 1) | 1');
});
