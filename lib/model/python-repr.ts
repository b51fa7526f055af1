// Ultralytics writes its metadata values as Python reprs: "{0: 'person', ...}", "[640, 640]", "32".

class ReprReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) throw this.fail('trailing characters');
    return value;
  }

  private value(): unknown {
    this.space();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '[' || c === '(') return this.list(c === '[' ? ']' : ')');
    if (c === "'" || c === '"') return this.str(c);
    return this.atom();
  }

  private dict(): Map<unknown, unknown> {
    const out = new Map<unknown, unknown>();
    this.pos++;
    for (;;) {
      this.space();
      if (this.text[this.pos] === '}') { this.pos++; return out; }
      const key = this.value();
      this.space();
      if (this.text[this.pos] !== ':') throw this.fail("expected ':'");
      this.pos++;
      out.set(key, this.value());
      this.separator('}');
    }
  }

  private list(close: string): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    for (;;) {
      this.space();
      if (this.text[this.pos] === close) { this.pos++; return out; }
      out.push(this.value());
      this.separator(close);
    }
  }

  private separator(close: string): void {
    this.space();
    if (this.text[this.pos] === ',') this.pos++;
    else if (this.text[this.pos] !== close) throw this.fail(`expected ',' or '${close}'`);
  }

  private str(quote: string): string {
    // Runs between escapes are taken as slices and joined once: appending a character at a time made a rope of one
    // heap object per character, and 10 MB of names metadata held 670 MB of Node-RED's heap while the model was loaded.
    const parts: string[] = [];
    this.pos++;
    while (this.pos < this.text.length) {
      let end = this.pos;
      while (end < this.text.length && this.text[end] !== quote && this.text[end] !== '\\') end++;
      parts.push(this.text.slice(this.pos, end));
      this.pos = end + 1;
      if (end === this.text.length) break;
      if (this.text[end] === quote) return parts.join('');
      parts.push(this.escape());
    }
    throw this.fail('unterminated string');
  }

  /**
   * The character after a backslash: Python's (\xhh, \uXXXX, \UXXXXXXXX, octal, \r, ...) and JSON's, whose \uXXXX is
   * how json.dumps writes every non-ASCII name ('caf\u00e9' was read as 'cafu00e9'); a surrogate pair joins itself.
   */
  private escape(): string {
    const e = this.text[this.pos++] ?? '';
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (e in simple) return simple[e];
    const hex = ({ x: 2, u: 4, U: 8 } as Record<string, number>)[e];
    if (hex !== undefined) {
      const digits = this.text.slice(this.pos, this.pos + hex);
      const code = /^[0-9a-fA-F]+$/.test(digits) && digits.length === hex ? parseInt(digits, 16) : NaN;
      if (!(code <= 0x10ffff)) throw this.fail(`bad \\${e} escape`);
      this.pos += hex;
      return String.fromCodePoint(code);
    }
    const octal = /^[0-7]{1,3}/.exec(this.text.slice(this.pos - 1, this.pos + 2));
    if (octal) {
      this.pos += octal[0].length - 1;
      return String.fromCharCode(parseInt(octal[0], 8));
    }
    return e;
  }

  private atom(): unknown {
    const m = /^[^\s,:}\])]+/.exec(this.text.slice(this.pos));
    if (!m) throw this.fail('unexpected character');
    this.pos += m[0].length;
    const word = m[0];
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    const n = Number(word);
    if (Number.isNaN(n)) return word;
    return n;
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private fail(why: string): Error {
    return new Error(`cannot parse Python value at ${this.pos}: ${why}`);
  }
}

/** Parses a Python literal (dict, list, tuple, str, int, float, bool, None). Dicts become Maps. */
export function parsePythonRepr(text: string): unknown {
  return new ReprReader(text).parse();
}
