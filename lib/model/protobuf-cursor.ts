import { promises as fs } from 'fs';

/** Protobuf wire types; 3 and 4 (groups) and 6, 7 do not occur in ONNX. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

const WINDOW = 64 << 10;

/** Bytes that are not protobuf. */
export class ProtobufError extends Error {}

/** A field or varint that runs past the end of the file. */
export class Truncated extends ProtobufError {
  constructor() {
    super('truncated protobuf');
  }
}

/** Reads a file at increasing offsets through a small window; skipping moves the offset without reading. */
export class Cursor {
  pos = 0;
  fields = 0;
  private buf = Buffer.alloc(0);
  private bufAt = 0;

  constructor(private readonly fh: fs.FileHandle, readonly size: number) {}

  async bytes(n: number): Promise<Buffer> {
    if (this.pos + n > this.size) throw new Truncated();
    if (this.pos < this.bufAt || this.pos + n > this.bufAt + this.buf.length) {
      const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
      const b = Buffer.alloc(len);
      const { bytesRead } = await this.fh.read(b, 0, len, this.pos);
      this.buf = b.subarray(0, bytesRead);
      this.bufAt = this.pos;
      if (bytesRead < n) throw new Truncated();
    }
    const out = this.buf.subarray(this.pos - this.bufAt, this.pos - this.bufAt + n);
    this.pos += n;
    return out;
  }

  async varint(): Promise<number> {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const [b] = await this.bytes(1);
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new ProtobufError('bad varint');
  }
}
