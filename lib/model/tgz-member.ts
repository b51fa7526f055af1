import { createHash } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import { createGunzip } from 'zlib';

// Reads one file out of a .tgz without a `tar` program (a palette-manager install may have none) and without
// holding the archive in memory: the other members stream past.

const BLOCK = 512;

interface Entry {
  name: string;
  size: number;
  type: string;
}

/** Takes exact byte counts from a stream of chunks. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.chunks.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    return true;
  }

  /** The next n bytes, or null when the stream ends first. */
  async take(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) if (!(await this.more())) return null;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Hands the next n bytes to sink piece by piece. */
  async pass(n: number, sink: (piece: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.more())) throw new Error('archive ends inside a member');
      const piece = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      left -= piece.length;
      await sink(piece);
    }
  }
}

function field(b: Buffer, offset: number, length: number): string {
  const raw = b.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? raw.length : end);
}

function parseHeader(b: Buffer): Entry | null {
  if (b.every((x) => x === 0)) return null;
  const sizeText = field(b, 124, 12).trim();
  const size = parseInt(sizeText || '0', 8);
  if (!Number.isFinite(size) || size < 0) throw new Error(`bad tar header size ${JSON.stringify(sizeText)}`);
  const prefix = field(b, 257, 6).startsWith('ustar') ? field(b, 345, 155) : '';
  const name = field(b, 0, 100);
  return { name: prefix ? `${prefix}/${name}` : name, size, type: String.fromCharCode(b[156] || 0x30) };
}

/** The path a pax extended header ('x') or GNU long-name entry ('L') gives the next entry. */
function longName(type: string, data: Buffer): string | undefined {
  if (type === 'L') return field(data, 0, data.length);
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return m ? m[1] : undefined;
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/**
 * Writes the member `member` of the gzipped tar `tgz` to `dest` and returns its sha256. `progress` gets the
 * bytes written and the member's size. Throws when the member is missing.
 */
export async function extractTgzMember(
  tgz: string,
  member: string,
  dest: string,
  progress: (written: number, size: number) => void = () => {},
): Promise<string> {
  const gunzip = createReadStream(tgz).pipe(createGunzip());
  const reader = new ChunkReader(gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  let nextName: string | undefined;
  try {
    for (;;) {
      const block = await reader.take(BLOCK);
      const entry = block && parseHeader(block);
      if (!entry) throw new Error(`${member} is not in ${tgz}`);
      const name = nextName ?? entry.name;
      nextName = undefined;
      if (entry.type === 'x' || entry.type === 'L') {
        const data = await reader.take(padded(entry.size));
        if (!data) throw new Error('archive ends inside a header');
        nextName = longName(entry.type, data.subarray(0, entry.size));
        continue;
      }
      if (name !== member || (entry.type !== '0' && entry.type !== '\0')) {
        await reader.pass(padded(entry.size), () => {});
        continue;
      }
      return await writeMember(reader, entry.size, dest, progress);
    }
  } finally {
    gunzip.destroy();
  }
}

async function writeMember(reader: ChunkReader, size: number, dest: string, progress: (w: number, s: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const out = await fs.open(dest, 'w');
  let written = 0;
  try {
    await reader.pass(size, async (piece) => {
      hash.update(piece);
      await out.write(piece);
      written += piece.length;
      progress(written, size);
    });
  } finally {
    await out.close();
  }
  return hash.digest('hex');
}
