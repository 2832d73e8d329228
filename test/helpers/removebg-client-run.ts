// Runs one call of the npm package `remove.bg` (a client nobody on this project wrote), in a child
// process started by test/integration/removebg-client.test.ts: CLIENT_CALL = {"fn", "options"};
// prints {"ok": true, "result"} or {"ok": false, "error"} as one JSON line.
import * as removeBg from 'remove.bg';

const call = JSON.parse(process.env.CLIENT_CALL ?? '{}') as { fn: 'file' | 'url' | 'base64'; options: Record<string, unknown> };
const fns = {
  file: removeBg.removeBackgroundFromImageFile,
  url: removeBg.removeBackgroundFromImageUrl,
  base64: removeBg.removeBackgroundFromImageBase64,
} as const;

try {
  const result = await (fns[call.fn] as (o: unknown) => Promise<unknown>)(call.options);
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: error instanceof Error ? { message: error.message } : error })}\n`);
}
