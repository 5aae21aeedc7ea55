#!/usr/bin/env node
// One setup command that passes offline and still gives a connected user everything:
//  1. `npm ci` with the two downloading install scripts switched off (Electron's binary and
//     onnxruntime-node's CUDA EP both fetch from outside the npm registry and fail offline);
//  2. build (tsc + vite);
//  3. best effort, each with a time limit: fetch the Electron binary and, on Linux x64, ONNX Runtime's
//     CUDA/TensorRT EP libraries. A failure here is reported, never fatal: the CLI, the server and the
//     CPU/WebGPU EPs work without them. Set LUCID_SKIP_DOWNLOADS=1 to skip step 3 (CI does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(label, cmd, args, { env = {}, unset = [], optional = false, timeoutMs } = {}) {
  console.log(`\n> ${label}`);
  const childEnv = { ...process.env, ...env };
  for (const k of unset) delete childEnv[k];
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: childEnv, timeout: timeoutMs, shell: process.platform === 'win32' });
  const ok = r.status === 0;
  if (!ok) {
    const why = r.error ? r.error.message : `exit code ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    if (!optional) {
      console.error(`setup: "${label}" failed: ${why}`);
      process.exit(1);
    }
    console.warn(`setup: optional step "${label}" did not complete (${why}). Continuing.`);
  }
  return ok;
}

const skipDownloads = { ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' };
run('npm ci (offline-safe: Electron binary and CUDA EP downloads deferred)', npm, ['ci', '--no-audit', '--no-fund'], { env: skipDownloads });
run('build', npm, ['run', 'build']);

const notes = [];
if (process.env.LUCID_SKIP_DOWNLOADS === '1') {
  notes.push('Optional downloads skipped (LUCID_SKIP_DOWNLOADS=1).');
} else {
  const electronOk = run('Electron binary (optional)', process.execPath, ['node_modules/electron/install.js'], { optional: true, timeoutMs: 300_000 });
  notes.push(electronOk ? 'Electron binary installed: `npm start` opens the desktop app.' :
    'Electron binary not installed (no network?). The CLI and `npm run serve` work; run `npm run setup` again when connected for the desktop app.');
  if (os.platform() === 'linux' && os.arch() === 'x64') {
    const cudaLib = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
    if (!existsSync(cudaLib)) {
      // `npm run` passes .npmrc's onnxruntime_node_install=skip down as an environment variable: drop it here.
      run('ONNX Runtime CUDA/TensorRT EP libraries (optional)', process.execPath, ['node_modules/onnxruntime-node/script/install.js'], {
        optional: true,
        timeoutMs: 600_000,
        unset: ['npm_config_onnxruntime_node_install', 'ONNXRUNTIME_NODE_INSTALL', 'ONNXRUNTIME_NODE_INSTALL_CUDA'],
      });
    }
    const cudaOk = existsSync(cudaLib);
    notes.push(cudaOk ? 'CUDA EP libraries present: `--ep cuda` can run on an NVIDIA GPU with CUDA and cuDNN 9.' :
      'CUDA EP libraries not installed (no network?): GPU runs use WebGPU where available, else the CPU.');
  }
}
console.log('\nsetup done.\n' + notes.map((n) => `  - ${n}`).join('\n'));
