// support/gdbRemote.ts: a minimal client of the GDB remote serial protocol ("Debugging with GDB", Appendix E
// "GDB Remote Serial Protocol"), enough to stop QEMU at an address and read registers that QEMU's own
// console cannot show (CR4, EFER). Packets are `$data#checksum`, acknowledged with `+`; replies may be
// run-length encoded (E.11 "Packets": `X*n` repeats X n−29 times).
import type { Readable, Writable } from 'node:stream';

export class GdbRemote {
  private buffer = '';
  private waiting: ((packet: string) => void) | null = null;
  private readonly queue: string[] = [];
  private closed = false;

  constructor(private readonly out: Writable, input: Readable) {
    input.setEncoding('latin1');
    input.on('data', (d: string) => { this.buffer += d; this.parse(); });
    input.on('close', () => { this.closed = true; this.deliver('E.closed'); });
  }

  /** Sends one packet and resolves with the reply packet's data (rejects after `timeoutMs`). */
  request(data: string, timeoutMs = 10_000): Promise<string> {
    if (this.closed) return Promise.reject(new Error(`gdb remote: connection closed before "${data}"`));
    let sum = 0;
    for (let k = 0; k < data.length; k++) sum = (sum + data.charCodeAt(k)) & 0xff;
    this.out.write(`$${data}#${sum.toString(16).padStart(2, '0')}`, 'latin1');
    return this.next(data, timeoutMs);
  }

  private next(what: string, timeoutMs: number): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = null; reject(new Error(`gdb remote: no reply to "${what}" in ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting = (p) => { clearTimeout(timer); resolve(p); };
    });
  }

  private deliver(packet: string): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) w(packet); else this.queue.push(packet);
  }

  private parse(): void {
    for (;;) {
      const start = this.buffer.indexOf('$');
      if (start < 0) { this.buffer = ''; return; }
      const end = this.buffer.indexOf('#', start);
      if (end < 0 || end + 3 > this.buffer.length) { this.buffer = this.buffer.slice(start); return; }
      const body = this.buffer.slice(start + 1, end);
      this.buffer = this.buffer.slice(end + 3);
      this.out.write('+', 'latin1');
      this.deliver(expandRunLength(body));
    }
  }

  /** Register names in GDB's numbering, read from the target description (qXfer:features:read, E.5 / G.2). */
  async registerNames(): Promise<string[]> {
    const names: string[] = [];
    const read = async (annex: string): Promise<void> => {
      let xml = '';
      for (;;) {
        const reply = await this.request(`qXfer:features:read:${annex}:${xml.length.toString(16)},ffb`);
        if (reply[0] !== 'm' && reply[0] !== 'l') throw new Error(`gdb remote: cannot read ${annex}: ${reply}`);
        xml += reply.slice(1);
        if (reply[0] === 'l') break;
      }
      // Registers are numbered in document order, includes expanded where they stand, unless regnum says otherwise.
      for (const m of xml.matchAll(/<xi:include\s+href="([^"]+)"|<reg\s([^>]*)>/g)) {
        if (m[1] !== undefined) { await read(m[1]); continue; }
        const name = /name="([^"]+)"/.exec(m[2])?.[1] ?? '';
        const regnum = /regnum="(\d+)"/.exec(m[2]);
        if (regnum) names.length = Number(regnum[1]);
        names.push(name);
      }
    };
    await read('target.xml');
    return names;
  }

  /** Reads register `n` (`p` packet): the target's bytes, little-endian for x86, as a bigint-free [lo, hi] pair. */
  async readRegister(n: number): Promise<[number, number]> {
    const hex = await this.request(`p${n.toString(16)}`);
    if (!/^[0-9a-f]+$/i.test(hex)) throw new Error(`gdb remote: reading register ${n}: ${hex}`);
    const byte = (k: number): number => (k * 2 < hex.length ? parseInt(hex.slice(k * 2, k * 2 + 2), 16) : 0);
    const lo = (byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24) >>> 0;
    const hi = (byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24) >>> 0;
    return [lo, hi];
  }
}

/** Undoes the protocol's run-length encoding: `c*N` stands for c repeated (N − 29) more times. */
function expandRunLength(s: string): string {
  if (!s.includes('*')) return s;
  let out = '';
  for (let k = 0; k < s.length; k++) {
    if (s[k] === '*' && k > 0 && k + 1 < s.length) {
      out += out[out.length - 1].repeat(s.charCodeAt(k + 1) - 29);
      k++;
    } else {
      out += s[k];
    }
  }
  return out;
}
