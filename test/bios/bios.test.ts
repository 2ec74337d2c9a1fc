// bios/bios.test.ts: the built-in BIOS (emulator/bios) runs a boot sector (test/bios/boot.S) that uses
// int 10h/11h/12h/13h/15h/16h/1Ah; its console must equal the expected text, and — where QEMU is
// installed — what the same disk prints under QEMU with SeaBIOS, except the lines boot.S marks with '~'
// (BIOS-vendor details: SeaBIOS's int 13h AH=08h keeps a cylinder back, its E820 map, E801/88h values,
// equipment word, EBDA segment, COM1 (QEMU runs with -serial none) and configuration table differ from ours, the clock differs, the floppy
// error code depends on QEMU's empty floppy drive, and QEMU gets no keystroke).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flatMachine } from '../support/flat';
import { bootToolsMissing } from '../support/bootProgram';
import { qemuMissing, QEMU } from '../support/qemu';
import { IoBus } from '../../emulator/devices/ioBus';
import { DebugConsole, DEBUG_CONSOLE_PORT } from '../../emulator/devices/debugConsole';
import { ExitPort, EXIT_PORT } from '../../emulator/devices/exitPort';
import { BIOS_PORT_BASE, BIOS_PORT_LAST, e820Map, installBios, keyWord } from '../../emulator/bios/bios';
import { buildRom, handlerOffset, ROM_SEGMENT } from '../../emulator/bios/rom';

const DISK_BYTES = 2 * 1024 * 1024; // 4096 sectors: 4 cylinders of 16 × 63
const RAM = 64 * 1024 * 1024;

/** The folder holding boot.S: next to the compiled test in out/, else the source tree. */
function biosDir(): string {
  const c = [__dirname, join(__dirname, '..', '..', '..', 'test', 'bios')];
  return c.find((d) => existsSync(join(d, 'boot.S'))) ?? c[0];
}

/** Assembles boot.S (GNU as, 16-bit code linked at 0x7C00) into a flat binary. */
function buildBootSector(): Uint8Array {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-bios-'));
  try {
    const run = (tool: string, args: string[]): void => {
      const r = spawnSync(tool, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed:\n${r.stderr}`);
    };
    run('as', ['--32', '-o', join(work, 'boot.o'), join(biosDir(), 'boot.S')]);
    run('ld', ['-m', 'elf_i386', '-Ttext', '0x7c00', '--oformat', 'binary', '-e', '_start', '-o', join(work, 'boot.bin'), join(work, 'boot.o')]);
    return new Uint8Array(readFileSync(join(work, 'boot.bin')));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const SECTOR_TEXT: [number, string][] = [
  [20, 'sector twenty'], [21, 'sector twenty-one'], [1100, 'cylinder one head one sector thirty'], [1500, 'lba fifteen hundred'],
];

function buildDisk(): Uint8Array {
  const disk = new Uint8Array(DISK_BYTES);
  disk.set(buildBootSector());
  for (const [s, text] of SECTOR_TEXT) disk.set(Buffer.from(`${text}\0`, 'latin1'), s * 512);
  return disk;
}

/** What boot.S prints on our BIOS with 64 MiB and the key 'x' typed (the '~' lines are ours). */
const EXPECTED = [
  'int10 teletype ok',
  'abc cursor col=03',
  'chs 0/0/21: AH=00 CF=00', 'sector twenty',
  'chs 0/0/21 x2: AH=00 CF=00', 'sector twenty-one',
  'chs 1/1/30: AH=00 CF=00', 'cylinder one head one sector thirty',
  'edd: BX=AA55 CX.0=01 CF=00',
  'lba 1500: AH=00 CF=00', 'lba fifteen hundred',
  'lba write 1600: AH=00 CF=00',
  'lba read 1600: AH=00 CF=00', 'written by int 13h AH=43h',
  'params: heads-1=0F spt=3F drives=01 CF=00',
  '~params: CX=033F',
  'ext params: sectors=00001000 bytes=0200 CF=00',
  'type: AH=03 CF=00',
  '~type: CX:DX=00001000',
  'drive 81 read: AH=01 CF=01',
  'floppy read: CF=01',
  '~floppy read: AH=01',
  'e820 first: base=00000000 type=00000001',
  '~e820 0000000000000000 000000000009FC00 01',
  '~e820 000000000009FC00 0000000000000400 02',
  '~e820 00000000000F0000 0000000000010000 02',
  '~e820 0000000000100000 0000000003F00000 01',
  'e820 done',
  '~e801: AX=3C00 BX=0300',
  '~88: AX=FC00',
  'a20 after 2401: AL=01 CF=00',
  '~a20 2403: BX=0003',
  'config table: CF=00',
  '~config table: model=FC',
  'base memory KiB=027F bda 413=027F video mode=03 cols=0050',
  '~equipment: AX=0222 ebda=9FC0 com1=03F8',
  'video 0f: mode=03 cols=50',
  'ticks: CF=00',
  'rtc: CF=00',
  '~rtc: 000000',
  '~key 2D78',
  'done',
].map((l) => `${l}\r\n`).join('');

interface OursResult { debugcon: string; int10: string; exit: number | null; stop: string; disk: Uint8Array | null }

function runOurs(disk: Uint8Array, keys: string, idlePolls = 0): OursResult {
  const m = flatMachine(16, RAM);
  let debugcon = '', int10 = '';
  let exit: number | null = null;
  const input = [...keys].map((c) => c.charCodeAt(0));
  let polls = 0;
  const bios = installBios(m.phys, m.cpu, {
    disk, ramBytes: RAM, console: (b) => { int10 += String.fromCharCode(b); }, input: () => (polls++ < idlePolls ? -1 : input.shift() ?? -1),
  });
  const bus = new IoBus();
  bus.register(DEBUG_CONSOLE_PORT, DEBUG_CONSOLE_PORT, new DebugConsole((b) => { debugcon += String.fromCharCode(b); }));
  bus.register(EXIT_PORT, EXIT_PORT + 3, new ExitPort((code) => { exit = code; m.exec.requestStop('exit'); }), { wide: true });
  bus.register(BIOS_PORT_BASE, BIOS_PORT_LAST, bios.services, { wide: true });
  m.io = bus;
  assert.equal(bios.boot(), true);
  m.stateChanged();
  const stop = m.run({ maxInstructions: 5_000_000 });
  return { debugcon, int10, exit, stop, disk: bios.services.diskContents };
}

const tools = bootToolsMissing();

test('BIOS: int 16h AH=00h waits (the stub calls again) until a key arrives', () => {
  // mov $0,%ah; int $0x16; out %al,$0xe9; mov %ah,%al; out %al,$0xe9; mov $0,%al; out %al,$0xf4; hlt
  const disk = new Uint8Array(512);
  disk.set([0xb4, 0x00, 0xcd, 0x16, 0xe6, 0xe9, 0x88, 0xe0, 0xe6, 0xe9, 0xb0, 0x00, 0xe6, 0xf4, 0xf4]);
  disk[510] = 0x55; disk[511] = 0xaa;
  const r = runOurs(disk, 'q', 1000);
  assert.equal(r.stop, 'stop');
  assert.equal(r.debugcon, 'q\x10'); // ASCII 'q', scan code 10h
});

test('BIOS ROM: stubs at their IVT offsets, reset vector and model byte', () => {
  const rom = buildRom();
  const at = handlerOffset(0x13);
  assert.deepEqual([...rom.subarray(at, at + 14)], [0x52, 0xba, 0x13, 0x05, 0xee, 0x85, 0xd2, 0x74, 0x03, 0xfb, 0xeb, 0xf5, 0x5a, 0xcf]);
  assert.equal(rom[handlerOffset(0x03)], 0xcf); // default IRET
  assert.equal(rom[0xfff0], 0xea);
  assert.equal(rom[0xfffe], 0xfc);
  assert.equal(ROM_SEGMENT, 0xf000);
});

test('BIOS: E820 map for RAM above 3 GiB puts the rest at 4 GiB; keystroke words', () => {
  const map = e820Map(4 * 1024 * 1024 * 1024);
  assert.deepEqual(map.at(-2), { base: 0x100000, length: 0xc000_0000 - 0x100000, type: 1 });
  assert.deepEqual(map.at(-1), { base: 0x1_0000_0000, length: 0x4000_0000, type: 1 });
  assert.equal(keyWord(0x78), 0x2d78); // 'x'
  assert.equal(keyWord(0x0d), 0x1c0d);
  assert.equal(keyWord(0x41), 0x1e41); // 'A'
});

test('BIOS: the boot sector\'s services on ours', { skip: tools ?? undefined, timeout: 30_000 }, () => {
  const disk = buildDisk();
  const copy = disk.slice();
  const r = runOurs(disk, 'x');
  assert.equal(r.stop, 'stop');
  assert.equal(r.exit, 1);
  assert.equal(r.debugcon, EXPECTED);
  assert.equal(r.int10, EXPECTED, 'int 10h teletype output equals the port 0xE9 output');
  // The caller's image is untouched; the BIOS's copy holds the write.
  assert.deepEqual(disk, copy);
  const written = Buffer.from((r.disk as Uint8Array).subarray(1600 * 512, 1600 * 512 + 25)).toString('latin1');
  assert.equal(written, 'written by int 13h AH=43h');
});

test('BIOS: the same boot disk under QEMU + SeaBIOS prints the same vendor-independent lines', { skip: tools ?? qemuMissing() ?? undefined, timeout: 60_000 }, () => {
  const disk = buildDisk();
  const work = mkdtempSync(join(tmpdir(), 'trampoline-bios-qemu-'));
  try {
    const file = join(work, 'disk.img');
    writeFileSync(file, disk);
    const q = spawnSync(QEMU, [
      '-drive', `format=raw,file=${file}`, '-display', 'none', '-serial', 'none', '-debugcon', 'stdio',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot', '-m', '64M', '-accel', 'tcg',
    ], { timeout: 50_000, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(q.status, 1, `QEMU status ${q.status}: ${q.stderr}\n${q.stdout}`);
    const common = (s: string): string => s.split('\r\n').filter((l) => !l.startsWith('~')).join('\r\n');
    const ours = runOurs(buildDisk(), 'x');
    assert.equal(common(q.stdout), common(ours.debugcon));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
