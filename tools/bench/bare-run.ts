// The bare pipeline's own process (bare.ts starts it with a worker's environment): runs runBare on
// the images and repetitions given as JSON in BENCH_BARE ({"images": [...], "reps": N}; not as
// arguments, which the bench's shared flags parser refuses) and prints its result as one JSON line.
import { runBare } from './bare.js';

const { images, reps } = JSON.parse(process.env.BENCH_BARE ?? '{}') as { images?: string[]; reps?: number };
if (!images?.length || !reps) throw new Error('bare-run: BENCH_BARE must give the images and the repetitions');
console.log(JSON.stringify(await runBare(images, reps)));
