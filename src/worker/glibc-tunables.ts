// glibc's allocator settings for a worker process. glibc reads GLIBC_TUNABLES once, when the
// process starts, so whatever starts a worker sets it: the Dockerfile's worker image, `npm run
// start:worker`, the demo and the tools (workerEnvironment). The worker only checks, and says so
// at start-up when it runs without them.
//
// - mmap_threshold=131072, fixed: every block of 128 KB or more (pixels, planes, tensors, the
//   model's weights as they load) gets its own mapping and goes back to the system when freed.
//   glibc's default raises that threshold as large blocks are freed (up to 32 MB), after which
//   they come from heaps that keep freed memory, fragmented: the same worker on the same photos
//   peaked anywhere from 1448 to 1667 MB from run to run, 1391–1437 MB with this setting.
// - hugetlb=1: those mappings are marked for transparent huge pages (where the kernel's
//   transparent_hugepage is `madvise` or `always`), so a fresh 64 MB block costs 32 page faults
//   instead of 16,384. With INFERENCE_MEMORY=lean it is what keeps the model's speed: its working
//   memory comes fresh for every image (2302 ms a run with 4 KB pages, 2064 ms with huge pages).

/** The worker's GLIBC_TUNABLES (README: Configuration). */
export const WORKER_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=131072:glibc.malloc.hugetlb=1';

/** The environment to start a worker process with: GLIBC_TUNABLES added unless it is set (even empty: the operator's choice). */
export function workerEnvironment<T extends Record<string, string | undefined>>(env: T): T & { GLIBC_TUNABLES: string } {
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES ?? WORKER_GLIBC_TUNABLES };
}

/**
 * What a worker says at start-up about its allocator, given its GLIBC_TUNABLES: null when it runs
 * as recommended (or not on Linux), else a sentence for the log.
 */
export function allocatorAdvice(tunables: string | undefined, platform: NodeJS.Platform = process.platform): string | null {
  if (platform !== 'linux') return null;
  if (/(^|:)glibc\.malloc\.mmap_threshold=/.test(tunables ?? '')) return null;
  return (
    `GLIBC_TUNABLES does not set glibc.malloc.mmap_threshold: expect a higher and less predictable peak memory ` +
    `(100–250 MB more on 1 MP photos). Start the worker with GLIBC_TUNABLES=${WORKER_GLIBC_TUNABLES} ` +
    `(the worker image and npm run start:worker do).`
  );
}
