// A directory laid out like an image's /app (Dockerfile targets api and worker): dist,
// package.json, the node_modules that target keeps and, for the worker, the prepared weights.
// Needs `npm run build` first. Used to run each target's CMD as its container would.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './fixtures.js';
import { TEST_MODEL_DIR } from './stack.js';

/** node_modules entries each target removes (see the Dockerfile's RUN rm lines). */
const DROPPED: Record<string, string[]> = {
  api: ['onnxruntime-node', 'onnxruntime-common', '@imgly'],
  worker: ['@imgly'],
};

export function stageApp(target: 'api' | 'worker', dir: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry.startsWith('.') || DROPPED[target]!.includes(entry)) continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(dir, 'node_modules', entry));
  }
}

/**
 * The models stage, as the Dockerfile runs it: prepare-model assembles and checks the weights
 * into MODEL_DIR (reusing the test cache to save the copy). `env` is the worker's environment.
 */
export function stageModels(workerDir: string, env: Record<string, string>): void {
  fs.mkdirSync(path.join(workerDir, 'models'));
  for (const f of fs.existsSync(TEST_MODEL_DIR) ? fs.readdirSync(TEST_MODEL_DIR) : []) {
    if (!f.endsWith('.onnx')) continue;
    // A hard link is the file itself, as in the image (a symlink into /tmp breaks under a private /tmp).
    try {
      fs.linkSync(path.join(TEST_MODEL_DIR, f), path.join(workerDir, 'models', f));
    } catch {
      fs.symlinkSync(path.join(TEST_MODEL_DIR, f), path.join(workerDir, 'models', f));
    }
  }
  execFileSync(process.execPath, ['dist/worker/prepare-model.js'], { cwd: workerDir, env, stdio: 'ignore' });
}
