// machine.ts: the emulated PC as a library — physical memory, the MMU, one CPU and its run loop.
// Callers load images, set registers, and run with limits; nothing here knows of DAP or the terminal.
import { CpuFeatures } from './cpu/features';
import { updateMode } from './cpu/modes';
import { Cpu, PortIo } from './cpu/state';
import { Executor, StopReason } from './cpu/step';
import { PhysicalMemory } from './mem/physical';
import { Mmu } from './mmu/mmu';

export interface MachineOptions {
  /** Guest RAM in bytes (default 256 MiB). */
  memory?: number;
  features?: CpuFeatures;
}

export interface RunLimits {
  maxInstructions: number;
}

export class Machine {
  readonly phys: PhysicalMemory;
  readonly mem: Mmu;
  readonly cpu: Cpu;
  readonly exec: Executor;
  readonly features: CpuFeatures;

  constructor(options: MachineOptions = {}) {
    this.features = options.features ?? new CpuFeatures();
    this.phys = new PhysicalMemory(options.memory ?? 256 * 1024 * 1024);
    this.mem = new Mmu(this.phys);
    this.cpu = new Cpu(this.mem, this.features);
    this.exec = new Executor(this.cpu, this.phys, this.features);
  }

  set io(io: PortIo) {
    this.cpu.io = io;
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

  run(limits: RunLimits): StopReason {
    return this.exec.run(limits.maxInstructions);
  }

  step(): StopReason {
    return this.exec.step();
  }
}
