import sharp from 'sharp';

/** A text's coverage (0..255 per pixel), as wide as its ink. */
export interface TextMask {
  alpha: Uint8Array;
  width: number;
  height: number;
}

const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';
/** Class names and score strings of one font size each make one entry; a model with 80 classes needs ~180. */
const MAX_ENTRIES = 1024;
const cache = new Map<string, Promise<TextMask>>();

/**
 * Text as SVG holds it. A character XML 1.0 has no place for (a control character, U+FFFE, U+FFFF) shows as U+FFFD:
 * written as it was, librsvg refused the SVG and every annotated frame of a class so named failed with BAD_IMAGE.
 */
function escapeXml(s: string): string {
  return s
    .replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}

/**
 * The mask of `text` at `font` px, rendered once by librsvg (on libuv's pool) and then reused: labels are drawn
 * from these masks in JavaScript, so a frame costs no SVG render and no composite.
 */
export function textMask(text: string, font: number): Promise<TextMask> {
  const key = `${font}\u0000${text}`;
  let m = cache.get(key);
  if (!m) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    m = render(text, font);
    cache.set(key, m);
    m.catch(() => cache.delete(key));
  }
  return m;
}

async function render(text: string, font: number): Promise<TextMask> {
  const height = font + 4;
  // wide enough for any script (CJK glyphs are about one em); the ink is measured below
  const width = Math.max(1, Math.ceil((text.length + 1) * font * 1.2));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="0" y="${font}" font-family="${FONT_FAMILY}" font-size="${font}" fill="#fff">${escapeXml(text)}</text></svg>`;
  const { data } = await sharp(Buffer.from(svg)).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  const ink = inkWidth(data, width, height);
  const alpha = new Uint8Array(ink * height);
  for (let y = 0; y < height; y++) alpha.set(data.subarray(y * width, y * width + ink), y * ink);
  return { alpha, width: ink, height };
}

function inkWidth(a: Uint8Array, width: number, height: number): number {
  for (let x = width - 1; x >= 0; x--) {
    for (let y = 0; y < height; y++) if (a[y * width + x] !== 0) return x + 1;
  }
  return 0;
}
