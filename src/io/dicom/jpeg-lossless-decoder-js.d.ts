// The package ships no type declarations; this covers the part src/io/dicom/decode.ts uses.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    frame: { dimX: number; dimY: number; numComp: number; precision: number };
    /** Decodes a JPEG Lossless stream; numBytes is bytes per output sample (1 or 2). */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
