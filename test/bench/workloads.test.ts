// workloads.test.ts: small runs of the bench's workloads give the host CPU's results (never timed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopReason } from '../../emulator/cpu/step';
import {
  aluLoopCode, aluLoopInstructions, aluLoopMachine, ALU_LOOP_REGS, buildCWorkload, cWorkloadMachine,
  cWorkloadUnavailable, regs64, runToHalt,
} from '../../bench/workloads';
import { hostCpuAvailable, runOnHost, STACK_TOP } from '../host/hostCpu';

test('ALU+branch loop: 10^5 instructions end with the host CPU\'s registers', (t) => {
  const why = hostCpuAvailable();
  if (why) { t.skip(why); return; }
  const iterations = 8334; // 12 per iteration + 2: 100 010 instructions
  const m = aluLoopMachine(iterations);
  const r = runToHalt(m, 1_000_000);
  assert.equal(r.exception, null);
  assert.equal(r.stop, StopReason.Halt);
  assert.equal(r.instructions, aluLoopInstructions(iterations) + 1); // and the HLT
  const regs = ALU_LOOP_REGS.map((v, i) => (i === 4 ? BigInt(STACK_TOP) : v));
  const [h] = runOnHost([{ mode: 64, code: aluLoopCode(iterations), regs, rflags: 0 }]);
  assert.equal(h.fault, undefined);
  const ours = regs64(m);
  for (const i of [0, 1, 2, 3, 6, 7, 8, 9, 10, 11]) assert.equal(ours[i], h.regs[i], `register ${i}`);
});

test('compiled C workload (ROUNDS=1, about 2.4·10^5 instructions) prints what the host build prints', (t) => {
  const why = cWorkloadUnavailable();
  if (why) { t.skip(why); return; }
  const w = buildCWorkload(1);
  const r = runToHalt(cWorkloadMachine(w.elf), 10_000_000);
  assert.equal(r.exception, null);
  assert.equal(r.stop, StopReason.Halt);
  assert.equal(r.output, w.hostOutput);
});
