// machine.ts: the emulated PC as a library — physical memory, the MMU, one CPU and its run loop, and the
// PC devices (the legacy ones on the I/O bus, the local APIC in memory) with their interrupts.
// Callers load images, set registers, and run with limits; nothing here knows of DAP or the terminal.
//
// Virtual time is the exact retired-instruction count: devices read it through Executor.now(), which adds
// the position of the executing instruction in its block to cpu.icount (updated only at block ends), so
// an IN or OUT in the middle of a block sees the exact count without the loop doing anything per
// instruction. While the processor is halted with interrupts enabled, time jumps to the next device event.
import { CpuFeatures } from './cpu/features';
import { programMtrrsAsBios } from './cpu/mtrr';
import { updateMode } from './cpu/modes';
import { ATTN_IRQ, ATTN_MODE, Cpu, PortIo } from './cpu/state';
import { Executor, Platform, StopReason } from './cpu/step';
import { APIC_BASE, APIC_SIZE, LocalApic } from './devices/apic';
import { PcDevices } from './devices/pcDevices';
import type { OptionalDevice } from './devices/optionalDevices';
import { PcTestdev, TESTDEV_FLUSH_PORT, TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_SIZE, TESTDEV_IRQ_LINES, TESTDEV_IRQ_PORT, TESTDEV_PORT } from './devices/pcTestdev';
import { PhysicalMemory } from './mem/physical';
import { Mmu } from './mmu/mmu';
import { Watchpoints } from './debug/watchpoints';
import type { CallTraceListener } from './debug/callTrace';

export interface MachineOptions {
  /** Guest RAM in bytes (default 256 MiB). */
  memory?: number;
  features?: CpuFeatures;
  /** The guest console: bytes written to COM1 and port 0xE9. */
  output?: (byte: number) => void;
  /** COM1's receiver: the next input byte, or -1 when none is waiting. */
  input?: () => number;
  /** Plug in the PC devices (default true). Without them ports float and nothing interrupts. */
  devices?: boolean;
}

export interface RunLimits {
  maxInstructions: number;
}

/** How the last run ended, with the exit status for StopReason.Exit and words for the others. */
export interface StopInfo {
  reason: StopReason;
  /** (V << 1) | 1 after the guest wrote V to port 0xF4; otherwise 0. */
  exitCode: number;
  detail: string;
}

/** A20 off: physical address bit 20 forced to 0 (paging off only, mmu.ts). */
const A20_OFF = ~0x100000;

export class Machine {
  readonly phys: PhysicalMemory;
  readonly mem: Mmu;
  readonly cpu: Cpu;
  readonly exec: Executor;
  readonly features: CpuFeatures;
  /** The legacy PC devices (null with `devices: false`). */
  readonly devices: PcDevices | null = null;
  /** The local APIC at 0xFEE00000 (null with `devices: false`). */
  readonly apic: LocalApic | null = null;
  /** The status the guest asked for through the exit port, (V << 1) | 1; 0 until then. */
  exitCode = 0;
  /** How the last run() / step() ended. */
  lastStop: StopInfo = { reason: StopReason.None, exitCode: 0, detail: '' };
  /**
   * Data breakpoints (debug/watchpoints.ts): watch.add(spec) → id, watch.remove(id), watch.clear(). A
   * match stops the run after the accessing instruction with StopReason.Watchpoint; exec.lastWatch says which.
   */
  readonly watch: Watchpoints;

  constructor(options: MachineOptions = {}) {
    this.features = options.features ?? new CpuFeatures();
    this.phys = new PhysicalMemory(options.memory ?? 256 * 1024 * 1024);
    this.mem = new Mmu(this.phys);
    this.cpu = new Cpu(this.mem, this.features);
    this.exec = new Executor(this.cpu, this.phys, this.features);
    const watch = this.watch = new Watchpoints();
    watch.onHit = (hit) => this.exec.watchHit(hit);
    watch.onChange = () => {
      // Only watched pages leave the TLB fast path; with none set the MMU does not look at all.
      this.mem.watch = watch.size !== 0 ? watch : null;
      this.mem.flush();
    };
    if (options.devices === false) return;

    const cpu = this.cpu, exec = this.exec, mem = this.mem;
    const clock = (): number => exec.now();
    const devices = new PcDevices({
      clock,
      ...(options.output !== undefined ? { output: options.output } : {}),
      ...(options.input !== undefined ? { input: options.input } : {}),
      onExit: (code) => {
        this.exitCode = code;
        exec.requestStop(`the guest wrote ${code >>> 1} to the exit port 0xF4: status ${code}`, StopReason.Exit);
      },
      // design.md has no reboot: without firmware to run again, a reset request ends the run (exit status 4,
      // as a shutdown).
      onReset: () => exec.requestStop('the guest requested a reset (port 0x92 bit 0 or the 8042 reset pulse)', StopReason.Reset),
      // ACPI soft-off ends the run (exit status 4, as a shutdown: design.md).
      onPowerOff: () => exec.requestStop('ACPI power off (S5)', StopReason.PowerOff),
      onA20: (on) => {
        mem.a20Mask = on ? -1 : A20_OFF;
        mem.flush();
        cpu.attention |= ATTN_MODE; // decoded blocks were looked up through the old mapping
      },
      onIntr: (level) => { if (level) cpu.attention |= ATTN_IRQ; },
      ramBelow4G: this.phys.lowRam,
      ramAbove4G: this.phys.highRam,
    });
    const apic = new LocalApic({
      clock,
      cpu,
      onInterrupt: () => { cpu.attention |= ATTN_IRQ; },
      onNmi: () => exec.nmi(),
    });
    this.devices = devices;
    this.apic = apic;
    // The APIC's registers always sit at the reset base (a relocated IA32_APIC_BASE is not followed).
    this.phys.addMmio(APIC_BASE, APIC_SIZE, apic);
    this.plug(devices.bus);

    const platform: Platform = {
      advanceTo: (icount) => { devices.advanceTo(icount); apic.advanceTo(icount); },
      nextEventAt: (icount) => Math.min(devices.nextEventAt(icount), apic.nextEventAt(icount)),
      wakeAt: (icount) => {
        let t = apic.wakeAt(icount);
        if (apic.picRouted) {
          const m = devices.pic.master.imr, s = devices.pic.slave.imr;
          if ((m & 1) === 0) t = Math.min(t, devices.pit.nextEventAt(icount));
          if ((m & 4) === 0 && (s & 1) === 0) t = Math.min(t, devices.cmos.nextEventAt(icount));
        }
        return t;
      },
      // SDM Vol.3A §11.8: the APIC's own interrupts (above the processor priority), then the 8259's INTR,
      // which reaches the processor through LINT0 in ExtINT mode (or directly while the APIC is disabled)
      // and is not subject to the TPR.
      acknowledge: () => {
        const v = apic.accept();
        if (v >= 0) return v;
        return apic.picRouted && devices.pic.hasInterrupt() ? devices.pic.intAck() : -1;
      },
    };
    exec.platform = platform;
  }

  /**
   * Replaces the device bus the CPU's IN/OUT reach (tests and demos plug their own ports in). The PC
   * devices' timers and interrupts keep running; their ports are then out of the guest's reach.
   */
  set io(io: PortIo) {
    this.cpu.io = io;
  }

  /**
   * Plugs a bus in front of which the devices are brought up to date: before any port access the timers
   * advance to the exact instruction count, and after a write the run loop looks at interrupts and
   * timer deadlines again (an OUT may unmask an IRQ, send an EOI or reprogram a counter).
   */
  private plug(bus: PortIo): void {
    const devices = this.devices!;
    const exec = this.exec, cpu = this.cpu;
    this.cpu.io = {
      in: (port, size) => {
        devices.advanceTo(exec.now());
        return bus.in(port, size);
      },
      out: (port, size, value) => {
        devices.advanceTo(exec.now());
        bus.out(port, size, value);
        cpu.attention |= ATTN_IRQ;
      },
    };
  }

  /**
   * Leaves the devices as a PC BIOS does before booting a program (design.md): the 8259s at vectors 0x08
   * and 0x70 with the timer and cascade unmasked, PIT counter 0 at 18.2 Hz, A20 on, and the local APIC in
   * virtual-wire mode (LINT0 ExtINT, LINT1 NMI), and the MTRRs set up (cpu/mtrr.ts).
   */
  programAsBios(): void {
    this.devices?.programAsBios();
    this.apic?.programAsBios();
    programMtrrsAsBios(this.cpu);
    this.cpu.attention |= ATTN_IRQ;
  }

  /**
   * Plugs an optional device (`--device NAME`, devices/optionalDevices.ts) onto the I/O bus and into
   * physical memory. Needs the PC devices (a machine made with `devices: false` has no bus to plug into).
   */
  addDevice(name: OptionalDevice): void {
    const devices = this.devices;
    if (devices === null) throw new Error(`machine: cannot plug '${name}' into a machine without PC devices`);
    switch (name) {
      case 'pc-testdev': {
        // ISA IRQs 0–15 reach the 8259 pair; QEMU's lines 16–23 go to the I/O APIC, which we do not have.
        const t = new PcTestdev({ irq: (line, level) => { if (line < 16) devices.pic.irq(line, level); } });
        devices.bus.register(TESTDEV_PORT, TESTDEV_PORT + 3, t.port, { wide: true });
        devices.bus.register(TESTDEV_FLUSH_PORT, TESTDEV_FLUSH_PORT + 3, t.writeOnly, { wide: true });
        devices.bus.register(TESTDEV_IRQ_PORT, TESTDEV_IRQ_PORT + TESTDEV_IRQ_LINES - 1, t.writeOnly);
        this.phys.addMmio(TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_SIZE, t.iomem);
        this.mem.flush();
        break;
      }
    }
  }

  /** Raises NMI (vector 2): taken at the next instruction boundary whatever IF; blocked until IRET after one. */
  nmi(): void {
    this.exec.nmi();
  }

  /** Reports calls, returns, interrupts and system calls to `listener` (debug/callStack.ts), or stops with null. */
  traceCalls(listener: CallTraceListener | null): void {
    this.cpu.calls = listener;
  }

  /** Copies bytes into physical memory (loaders); cached translations and decoded code follow. */
  load(physical: number, bytes: Uint8Array): void {
    this.phys.writeBytes(physical, bytes);
    this.mem.flush();
  }

  /** Re-derives the mode after registers were set from outside (loaders, the debugger). */
  stateChanged(): void {
    updateMode(this.cpu);
    this.mem.setPagingState(this.cpu, true);
    this.exec.cache.flushJumps();
  }

  /**
   * Runs at most `maxInstructions` instructions (virtual time: a halt's skipped time counts too). Returns
   * why it stopped; lastStop adds the exit status (StopReason.Exit) and words.
   */
  run(limits: RunLimits): StopReason {
    return this.record(this.exec.run(limits.maxInstructions));
  }

  step(): StopReason {
    return this.record(this.exec.step());
  }

  private record(reason: StopReason): StopReason {
    const x = this.exec.lastException;
    const detail = reason === StopReason.Stop || reason === StopReason.Exit || reason === StopReason.Reset || reason === StopReason.PowerOff || reason === StopReason.Watchpoint ? this.exec.stopDetail
      : (reason === StopReason.TripleFault || reason === StopReason.Exception) && x !== null ? x.detail : '';
    this.lastStop = { reason, exitCode: reason === StopReason.Exit ? this.exitCode : 0, detail };
    return reason;
  }
}
