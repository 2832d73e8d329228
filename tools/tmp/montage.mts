import sharp from 'sharp';
const files = process.argv.slice(3);
const tiles = await Promise.all(files.map((f) => sharp(f).resize({ height: 400 }).flatten({ background: '#ff00ff' }).png().toBuffer({ resolveWithObject: true })));
let x = 0;
const comps = tiles.map((t) => { const c = { input: t.data, left: x, top: 0 }; x += t.info.width + 10; return c; });
await sharp({ create: { width: x, height: 400, channels: 3, background: '#888' } }).composite(comps).png().toFile(process.argv[2]!);
