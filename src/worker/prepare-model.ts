// Assembles and verifies model weights into MODEL_DIR ahead of time (the worker image runs this
// at build time, so a container starts with no network and no assembly).
// Usage: node dist/worker/prepare-model.js [model ...]   (default: MODELS)
import { loadConfigOrExit } from '../config.js';
import { ensureModelFile, resolveModel } from '../cutout/models.js';

const config = loadConfigOrExit();
const names = process.argv.slice(2);
for (const name of names.length ? names : config.MODELS) {
  const model = resolveModel(name, { path: config.MODEL_PATH, sha256: config.MODEL_SHA256 });
  const file = await ensureModelFile(model, config.MODEL_DIR);
  console.log(`${name}: ${file} (checksum verified)`);
}
