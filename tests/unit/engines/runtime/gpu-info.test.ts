import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gpuLabel, parseNvidiaSmiCsv, queryNvidiaGpus, type ExecFn } from '../../../../engines/runtime/gpu-info.js';

const FULL = ['index', 'name', 'compute_cap', 'driver_version', 'memory.used', 'memory.total', 'uuid'];

describe('parseNvidiaSmiCsv', () => {
  test('reads csv,noheader,nounits output, one GPU per line', () => {
    const text = [
      '0, NVIDIA H100 80GB HBM3, 9.0, 580.65.06, 1, 81559, GPU-5f1c8c0e-3a55-6d6b-91b2-7d7c0c7e3a11',
      '1, NVIDIA GeForce RTX 3070, 8.6, 580.65.06, 512, 8192, GPU-84a8068b-81a5-7df1-8d22-a523bb848827',
      '',
    ].join('\n');
    const gpus = parseNvidiaSmiCsv(text, FULL);
    assert.equal(gpus.length, 2);
    assert.deepEqual(gpus[0], {
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      computeCapability: '9.0',
      driverVersion: '580.65.06',
      memoryUsedMiB: 1,
      memoryTotalMiB: 81559,
      uuid: 'GPU-5f1c8c0e-3a55-6d6b-91b2-7d7c0c7e3a11',
    });
    assert.equal(gpus[1]!.computeCapability, '8.6');
    assert.equal(gpuLabel(gpus[1]!), 'NVIDIA GeForce RTX 3070 (sm86)');
  });

  test('[N/A] fields become null; CRLF line ends are fine', () => {
    const gpus = parseNvidiaSmiCsv('0, Tesla T4, [N/A], 535.104.05, [N/A], 15360, GPU-x\r\n', FULL);
    assert.equal(gpus[0]!.computeCapability, null);
    assert.equal(gpus[0]!.memoryUsedMiB, null);
    assert.equal(gpus[0]!.memoryTotalMiB, 15360);
  });
});

describe('queryNvidiaGpus', () => {
  test('no nvidia-smi: empty list with a reason, no throw', async () => {
    const exec: ExecFn = async () => {
      throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    };
    assert.deepEqual(await queryNvidiaGpus({ exec }), { gpus: [], reason: 'nvidia-smi not found (no NVIDIA driver installed)' });
  });

  test('an old driver without compute_cap: retries with the basic fields', async () => {
    const calls: string[] = [];
    const exec: ExecFn = async (_f, args) => {
      calls.push(args[0]!);
      if (args[0]!.includes('compute_cap')) {
        throw Object.assign(new Error('exit 2'), { code: 2, stdout: 'Field "compute_cap" is not a valid field to query.\n', stderr: '' });
      }
      return { stdout: '0, Tesla P4, 470.82.01, 0, 7611, GPU-abc\n', stderr: '' };
    };
    const r = await queryNvidiaGpus({ exec });
    assert.equal(calls.length, 2);
    assert.equal(r.reason, null);
    assert.equal(r.gpus[0]!.name, 'Tesla P4');
    assert.equal(r.gpus[0]!.computeCapability, null);
    assert.equal(r.gpus[0]!.driverVersion, '470.82.01');
  });

  test('driver/library mismatch: the error text is the reason', async () => {
    const exec: ExecFn = async () => {
      throw Object.assign(new Error('exit 18'), { code: 18, stdout: 'Failed to initialize NVML: Driver/library version mismatch\n', stderr: '' });
    };
    const r = await queryNvidiaGpus({ exec });
    assert.deepEqual(r.gpus, []);
    assert.match(r.reason!, /Driver\/library version mismatch/);
  });

  test('a hung nvidia-smi is reported, not waited for', async () => {
    const exec: ExecFn = async () => {
      throw Object.assign(new Error('timeout'), { killed: true, signal: 'SIGTERM' });
    };
    assert.match((await queryNvidiaGpus({ exec, timeoutMs: 50 })).reason!, /did not answer within 50 ms/);
  });
});
