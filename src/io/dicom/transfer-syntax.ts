/** DICOM transfer syntaxes ctscreen reads (PS3.5 §10, Annex A), and the codec each needs. */

export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless57: '1.2.840.10008.1.2.4.57',
  jpegLossless70: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  jpeg2000: '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
} as const;

/** How the pixel data of a syntax are stored and which decoder opens them. */
export type PixelCodec = 'native' | 'native-big-endian' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'rle';

interface SyntaxInfo {
  name: string;
  codec: PixelCodec;
}

const SUPPORTED: Record<string, SyntaxInfo> = {
  [TS.implicitLittle]: { name: 'Implicit VR Little Endian', codec: 'native' },
  [TS.explicitLittle]: { name: 'Explicit VR Little Endian', codec: 'native' },
  [TS.deflatedExplicitLittle]: { name: 'Deflated Explicit VR Little Endian', codec: 'native' },
  [TS.explicitBig]: { name: 'Explicit VR Big Endian', codec: 'native-big-endian' },
  [TS.jpegBaseline]: { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-baseline' },
  [TS.jpegLossless57]: { name: 'JPEG Lossless (Process 14)', codec: 'jpeg-lossless' },
  [TS.jpegLossless70]: { name: 'JPEG Lossless, Process 14 SV1', codec: 'jpeg-lossless' },
  [TS.jpegLs]: { name: 'JPEG-LS Lossless', codec: 'jpeg-ls' },
  [TS.jpegLsNearLossless]: { name: 'JPEG-LS Near-Lossless', codec: 'jpeg-ls' },
  [TS.jpeg2000Lossless]: { name: 'JPEG 2000 (Lossless Only)', codec: 'jpeg2000' },
  [TS.jpeg2000]: { name: 'JPEG 2000', codec: 'jpeg2000' },
  [TS.rle]: { name: 'RLE Lossless', codec: 'rle' },
};

/** Names of syntaxes we recognise but cannot decode, so the error can say what the file is. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  [TS.jpegExtended]: 'JPEG Extended (Process 2 & 4, 12-bit lossy)',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
};

export function syntaxInfo(uid: string): SyntaxInfo | undefined {
  return SUPPORTED[uid];
}

export function syntaxName(uid: string): string {
  return SUPPORTED[uid]?.name ?? KNOWN_UNSUPPORTED[uid] ?? 'unknown transfer syntax';
}

export function supportedSyntaxes(): string[] {
  return Object.keys(SUPPORTED);
}

/** True when slices need a real decoder (worth spreading over worker threads). */
export function isCompressed(uid: string): boolean {
  const c = SUPPORTED[uid]?.codec;
  return c !== undefined && c !== 'native' && c !== 'native-big-endian';
}
