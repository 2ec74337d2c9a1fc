// ioBus.test.ts: port routing, unclaimed ports, ISA byte-splitting of wide accesses; the debug console
// (port 0xE9) and QEMU's isa-debug-exit (port 0xF4); and that emulator/devices stays free of Node APIs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoBus, IoDevice } from '../../emulator/devices/ioBus';
import { DebugConsole } from '../../emulator/devices/debugConsole';
import { ExitPort } from '../../emulator/devices/exitPort';

/** A byte register file recording the accesses it sees. */
class Recorder implements IoDevice {
  readonly seen: string[] = [];
  constructor(private readonly value: number) {}
  in(port: number, size: number): number {
    this.seen.push(`in ${port.toString(16)}/${size}`);
    return this.value;
  }
  out(port: number, size: number, value: number): void {
    this.seen.push(`out ${port.toString(16)}/${size}=${value.toString(16)}`);
  }
}

test('unclaimed ports read all ones and ignore writes (ISA data lines pulled up)', () => {
  const bus = new IoBus();
  assert.equal(bus.in(0x1234, 1), 0xff);
  assert.equal(bus.in(0x1234, 2), 0xffff);
  assert.equal(bus.in(0x1234, 4), 0xffffffff);
  bus.out(0x1234, 4, 0xdeadbeef); // nothing to assert but that it does not throw
});

test('a word access to byte devices becomes two byte cycles at port and port+1, each routed on its own', () => {
  const bus = new IoBus();
  const a = new Recorder(0x12), b = new Recorder(0x34);
  bus.register(0x300, 0x300, a);
  bus.register(0x301, 0x301, b);
  assert.equal(bus.in(0x300, 2), 0x3412);
  bus.out(0x300, 2, 0xbeef);
  assert.deepEqual(a.seen, ['in 300/1', 'out 300/1=ef']);
  assert.deepEqual(b.seen, ['in 301/1', 'out 301/1=be']);
  // A dword starting at 0x300 reaches two unclaimed ports too, which float high.
  assert.equal(bus.in(0x300, 4), 0xffff3412);
});

test('a device registered wide gets 16/32-bit accesses whole', () => {
  const bus = new IoBus();
  const d = new Recorder(0xcafef00d);
  bus.register(0xcfc, 0xcff, d, { wide: true });
  assert.equal(bus.in(0xcfc, 4), 0xcafef00d);
  assert.equal(bus.in(0xcfc, 2), 0xf00d);
  bus.out(0xcfc, 4, 0x80000000);
  assert.deepEqual(d.seen, ['in cfc/4', 'in cfc/2', 'out cfc/4=80000000']);
});

test('a later registration claims the ports it names', () => {
  const bus = new IoBus();
  const a = new Recorder(1), b = new Recorder(2);
  bus.register(0x60, 0x64, a);
  bus.register(0x61, 0x61, b);
  assert.equal(bus.in(0x60, 1), 1);
  assert.equal(bus.in(0x61, 1), 2);
  assert.equal(bus.deviceAt(0x64), a);
  assert.equal(bus.deviceAt(0x65), null);
});

test('debug console: bytes written to 0xE9 reach the sink; reading 0xE9 returns 0xE9 (Bochs "Port E9 Hack")', () => {
  const out: number[] = [];
  const bus = new IoBus();
  bus.register(0xe9, 0xe9, new DebugConsole((b) => out.push(b)));
  for (const c of 'Hi\n') bus.out(0xe9, 1, c.charCodeAt(0));
  assert.equal(String.fromCharCode(...out), 'Hi\n');
  assert.equal(bus.in(0xe9, 1), 0xe9);
});

test('exit port: a write of V of any width exits with (V << 1) | 1 (QEMU isa-debug-exit)', () => {
  const codes: number[] = [];
  const bus = new IoBus();
  bus.register(0xf4, 0xf7, new ExitPort((code) => codes.push(code)), { wide: true });
  bus.out(0xf4, 1, 0x00);
  bus.out(0xf4, 1, 0x01);
  bus.out(0xf4, 2, 0x10);
  bus.out(0xf4, 4, 0x31);
  assert.deepEqual(codes, [1, 3, 0x21, 0x63]);
  // Every status is odd, so it never collides with the emulator's own even statuses (design.md).
  assert.ok(codes.every((c) => (c & 1) === 1));
});

test('emulator/devices uses no Node-only API (the emulator core must run in a web worker)', () => {
  const dir = join(__dirname, '../../../emulator/devices');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 9);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const bad of [/from 'node:/, /from '(fs|path|os|child_process|events)'/, /require\(/, /\bprocess\./, /\bBuffer\b/]) {
      assert.doesNotMatch(text, bad, `${f} uses ${bad}`);
    }
  }
});
