// EXECUTION_PROVIDER: the onnxruntime execution providers a session asks for and, when CUDA was
// asked for and cannot be used, the start-up error that names what is missing on this machine.
// onnxruntime-node 1.30 runs CUDA on Linux x64 only, with CUDA 12 and cuDNN 9, and only when its
// CUDA provider files were installed with it (this repository's .npmrc skips them: they are a
// download from NuGet, `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type ExecutionProvider = 'cpu' | 'cuda';

/** What onnxruntime is asked for: with CUDA, the CPU takes any node the GPU cannot run. */
export function providerList(provider: ExecutionProvider = 'cpu'): string[] {
  return provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
}

/** onnxruntime-node's own CUDA files, beside its binding. */
export const ORT_CUDA_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
/** The CUDA 12 and cuDNN 9 libraries its CUDA provider loads. */
export const CUDA_LIBRARIES = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcudnn.so.9'];
/** The NVIDIA driver's library: absent, there is no usable GPU. */
export const CUDA_DRIVER = 'libcuda.so.1';

/** What the diagnosis looks at (a real machine: localCudaHost(); tests give their own). */
export interface CudaHost {
  platform: string;
  arch: string;
  /** onnxruntime-node's directory of native files, where its CUDA provider files would be. */
  ortBinDir: string;
  /** Whether the dynamic loader can find a shared library of this name. */
  hasLibrary(name: string): boolean;
  fileExists(file: string): boolean;
}

/** Each thing missing for CUDA on this host, as short phrases; empty when everything is there. */
export function missingForCuda(host: CudaHost): string[] {
  if (host.platform !== 'linux' || host.arch !== 'x64') {
    return [`onnxruntime-node's CUDA provider is built for Linux x64 only, this is ${host.platform} ${host.arch}`];
  }
  const missing: string[] = [];
  const ortFiles = ORT_CUDA_FILES.filter((f) => !host.fileExists(path.join(host.ortBinDir, f)));
  if (ortFiles.length > 0) {
    missing.push(`${ortFiles.join(' and ')} not in ${host.ortBinDir}: onnxruntime-node was installed without its CUDA files (ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)`);
  }
  const libs = CUDA_LIBRARIES.filter((l) => !host.hasLibrary(l));
  if (libs.length > 0) missing.push(`${libs.join(', ')} not found`);
  if (!host.hasLibrary(CUDA_DRIVER)) missing.push(`no NVIDIA driver: ${CUDA_DRIVER} not found`);
  return missing;
}

/** The sentence a worker stops with; `cause` is onnxruntime's own message, kept when nothing is found missing. */
export function cudaStartupMessage(cause: string, host: CudaHost = localCudaHost()): string {
  const missing = missingForCuda(host);
  const why = missing.length > 0 ? missing.join('; ') : `the libraries are there, but onnxruntime said: ${cause}`;
  return `EXECUTION_PROVIDER=cuda: onnxruntime could not load the CUDA execution provider (${why}) — install CUDA 12 and cuDNN 9, or set EXECUTION_PROVIDER=cpu`;
}

/** This machine: LD_LIBRARY_PATH, the loader's cache (ldconfig -p) and the usual CUDA directories. */
export function localCudaHost(): CudaHost {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/local/cuda/lib64',
    '/usr/local/cuda/targets/x86_64-linux/lib',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/lib/x86_64-linux-gnu',
  ];
  let cache = '';
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      cache = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      break;
    } catch {
      // not on this PATH: the next
    }
  }
  const cached = new Set([...cache.matchAll(/^\s*(\S+)\s+\(/gm)].map((m) => m[1]!));
  return {
    platform: process.platform,
    arch: process.arch,
    ortBinDir: ortBinDir(),
    hasLibrary: (name) => cached.has(name) || dirs.some((d) => fs.existsSync(path.join(d, name))),
    fileExists: (file) => fs.existsSync(file),
  };
}

/** onnxruntime-node's bin/napi-v6/<platform>/<arch>, found from where its package resolves. */
function ortBinDir(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('onnxruntime-node'));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'bin', 'napi-v6', process.platform, process.arch);
}
