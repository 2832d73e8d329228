// Planes of one size, handed back and taken again within one edge refinement (refine.ts). The
// refinement makes some seventy planes of its working copy (1.5 MB each at 768 × 512) and holds
// about thirty at a time; each new one is fresh memory from the system, zeroed page by page (the
// workers' GLIBC_TUNABLES return every large block when it is freed). Reusing them took the
// refinement of a 1.5 MP photo from 254–273 to 228–241 ms here (medians of 12, three runs each).
// A pool lives for one refinement and is dropped with it, so nothing is held between photos.
// Planes are allocated BLOCK at a time, in one buffer: one mapping of ~12 MB instead of eight of
// 1.5 MB, which glibc backs with huge pages where it can (GLIBC_TUNABLES hugetlb=1) and maps and
// unmaps once. The rembg photos' refinement with the workers' GLIBC_TUNABLES: 97 → 86 ms on one
// thread, page faults 6.8k → 2.9k an image; planes of a block never used are never touched.

/** Planes allocated at once when the pool is empty. */
const BLOCK = 8;

export class FloatPool {
  private readonly free: Float32Array[] = [];

  /** `n`: the plane size, values per plane. */
  constructor(readonly n: number) {}

  /** A plane of `n` values, left as its last user wrote it: every user writes all of it first. */
  take(): Float32Array {
    const free = this.free.pop();
    if (free) return free;
    const block = new Float32Array(this.n * BLOCK);
    for (let i = BLOCK - 1; i > 0; i--) this.free.push(block.subarray(i * this.n, (i + 1) * this.n));
    return block.subarray(0, this.n);
  }

  /** A copy of `src` (n values) in a pooled plane. */
  copy(src: Float32Array): Float32Array {
    const plane = this.take();
    plane.set(src);
    return plane;
  }

  /** Planes no longer read: reused by later takes. Others (another size, shared memory) are left to the collector. */
  give(...planes: Float32Array[]): void {
    for (const p of planes) {
      // Given twice, a plane would be handed to two users at once: the second give is ignored.
      if (p.length === this.n && !(p.buffer instanceof SharedArrayBuffer) && !this.free.includes(p)) this.free.push(p);
    }
  }
}
