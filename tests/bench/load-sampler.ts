/**
 * What the machine was doing during a timed run: cores busy (all processes, from os.cpus() every second) and,
 * where nvidia-smi exists, GPU busy (its utilization.gpu, the share of time a kernel ran, every 500 ms). With
 * page-parallel threads, this tells whether the CPU or the GPU bounds pages/s. Not a test: the bench prints it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { mean } from './bench-stats.js';

export interface LoadSummary {
  /** Mean cores busy (user + nice + sys + irq) over the run, out of `cores`. */
  cpuBusyCores: number | null;
  cores: number;
  /** GPU 0's utilization.gpu over the run, percent; null without nvidia-smi. */
  gpuBusyPercent: { mean: number; max: number; samples: number } | null;
}

export function startLoadSampler(): () => LoadSummary {
  let last = os.cpus();
  const busyCores: number[] = [];
  const timer = setInterval(() => {
    const now = os.cpus();
    let busy = 0, total = 0;
    now.forEach((c, i) => {
      const p = last[i]?.times;
      if (!p) return;
      const b = c.times.user - p.user + (c.times.nice - p.nice) + (c.times.sys - p.sys) + (c.times.irq - p.irq);
      busy += b;
      total += b + (c.times.idle - p.idle);
    });
    if (total > 0) busyCores.push((busy / total) * now.length);
    last = now;
  }, 1000);
  const gpu: number[] = [];
  let smi: ChildProcess | null = null;
  try {
    smi = spawn('nvidia-smi', ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits', '-i', '0', '-lms', '500'], { stdio: ['ignore', 'pipe', 'ignore'] });
    smi.on('error', () => undefined); // no nvidia-smi: no GPU figures
    let buf = '';
    smi.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const v = Number(l.trim());
        if (l.trim() !== '' && Number.isFinite(v)) gpu.push(v);
      }
    });
  } catch {
    smi = null;
  }
  return () => {
    clearInterval(timer);
    smi?.kill();
    return {
      cpuBusyCores: busyCores.length ? mean(busyCores) : null,
      cores: os.cpus().length,
      gpuBusyPercent: gpu.length ? { mean: mean(gpu), max: Math.max(...gpu), samples: gpu.length } : null,
    };
  };
}
