// EXECUTION_PROVIDER: its parsing, the providers onnxruntime is asked for, and the start-up
// sentence that names what is missing for CUDA (no GPU here: the real start-up error is checked in
// test/integration/execution-provider.test.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, pipelineOptions } from '../../src/config.js';
import { CUDA_LIBRARIES, cudaStartupMessage, missingForCuda, ORT_CUDA_FILES, providerList, type CudaHost } from '../../src/cutout/execution-provider.js';

const BIN = '/opt/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64';
/** A Linux x64 host with everything CUDA needs, except what `absent` names. */
function host(absent: string[] = [], over: Partial<CudaHost> = {}): CudaHost {
  return {
    platform: 'linux',
    arch: 'x64',
    ortBinDir: BIN,
    hasLibrary: (name) => !absent.includes(name),
    fileExists: (file) => !absent.includes(path.basename(file)),
    ...over,
  };
}

describe('EXECUTION_PROVIDER', () => {
  it('is cpu by default, takes cuda, and refuses anything else naming the variable', () => {
    assert.equal(loadConfig({}).EXECUTION_PROVIDER, 'cpu');
    assert.equal(loadConfig({ EXECUTION_PROVIDER: 'cuda' }).EXECUTION_PROVIDER, 'cuda');
    assert.equal(pipelineOptions(loadConfig({ EXECUTION_PROVIDER: 'cuda' })).executionProvider, 'cuda');
    for (const bad of ['gpu', 'CUDA ', 'tensorrt']) {
      assert.throws(() => loadConfig({ EXECUTION_PROVIDER: bad }), (err: Error) => err instanceof ConfigError && /EXECUTION_PROVIDER/.test(err.message));
    }
  });

  it('asks onnxruntime for CUDA with the CPU behind it, or for the CPU alone', () => {
    assert.deepEqual(providerList('cuda'), ['cuda', 'cpu']);
    assert.deepEqual(providerList('cpu'), ['cpu']);
    assert.deepEqual(providerList(), ['cpu']);
  });

  it('finds nothing missing on a host that has it all', () => {
    assert.deepEqual(missingForCuda(host()), []);
  });

  it('names the platform when it is not Linux x64', () => {
    assert.deepEqual(missingForCuda(host([], { platform: 'darwin', arch: 'arm64' })), ["onnxruntime-node's CUDA provider is built for Linux x64 only, this is darwin arm64"]);
    assert.match(missingForCuda(host([], { arch: 'arm64' }))[0]!, /Linux x64 only, this is linux arm64/);
  });

  it('names each missing library, the provider files and the driver', () => {
    assert.deepEqual(missingForCuda(host(['libcudnn.so.9'])), ['libcudnn.so.9 not found']);
    assert.deepEqual(missingForCuda(host(['libcuda.so.1'])), ['no NVIDIA driver: libcuda.so.1 not found']);
    const none = missingForCuda(host([...ORT_CUDA_FILES, ...CUDA_LIBRARIES]));
    assert.equal(none.length, 2);
    assert.match(none[0]!, new RegExp(`libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so not in ${BIN}`));
    assert.match(none[0]!, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.equal(none[1], 'libcudart.so.12, libcublas.so.12, libcublasLt.so.12, libcufft.so.11, libcudnn.so.9 not found');
  });

  it('says what to do, and keeps onnxruntime\'s words when nothing is found missing', () => {
    assert.equal(
      cudaStartupMessage('Failed to load shared library', host(['libcudnn.so.9'])),
      'EXECUTION_PROVIDER=cuda: onnxruntime could not load the CUDA execution provider (libcudnn.so.9 not found) — install CUDA 12 and cuDNN 9, or set EXECUTION_PROVIDER=cpu',
    );
    assert.match(cudaStartupMessage('CUDA failure 100: no CUDA-capable device is detected', host()), /\(the libraries are there, but onnxruntime said: CUDA failure 100: no CUDA-capable device is detected\)/);
  });
});
