/**
 * The one home for keeping camera credentials out of what is shown or stored: URLs in statuses, warnings,
 * errors and logs, and the user:password a URL may carry.
 */

export type Redact = (text: string) => string;

export interface UrlCredentials {
  /** The URL without user and password. */
  url: string;
  user: string;
  password: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** user[:password]@ right after a scheme, in free text (program output, error messages). */
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"<>]+)@/gi;
/**
 * Query parameters that carry a secret in cameras' URLs (Foscam's ?usr=admin&pwd=..., tokens): cameras that take
 * the password only there need it in the URL, so its value is masked wherever a URL is shown.
 */
const SECRET_PARAMS = /([?&;](?:password|passwd|pass|pwd|psw|pw|token|access_token|auth|secret|key|apikey|api_key)=)([^&#\s'"<>]*)/gi;
/** Punctuation that ends a URL in free text ("url: HTTP 500"), kept after a masked value. */
const URL_END = ':;,.)]';

/** Whether a URL carries a secret in its query (then it must not go on a command line either). */
export function hasSecretParams(url: string): boolean {
  SECRET_PARAMS.lastIndex = 0;
  return SECRET_PARAMS.test(url);
}

/**
 * The punctuation that ends a URL in free text ("url: HTTP 500") stays. Found by a scan from the value's end, not
 * by the pattern: a lazy value before a run of it backtracked over the run at each character, and a flow's URL of
 * 100000 colons after ?pwd= held Node-RED's event loop 14 s at deploy and at each camera error.
 */
function maskSecretParams(text: string): string {
  return text.replace(SECRET_PARAMS, (_m, name: string, value: string) => {
    let end = value.length;
    while (end > 0 && URL_END.includes(value[end - 1])) end--;
    return `${name}***${value.slice(end)}`;
  });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Splits user:password off a URL. A URL that does not parse is split at its last '@' (all of it may be
 * the password), so that what is shown or kept of it holds no secret either.
 */
export function splitUrlCredentials(raw: string): UrlCredentials {
  const s = raw.trim();
  const none = { url: s, user: '', password: '' };
  try {
    const u = new URL(s);
    if (!u.username && !u.password) return none;
    const out = { user: decode(u.username), password: decode(u.password) };
    u.username = '';
    u.password = '';
    return { url: u.href, ...out };
  } catch {
    const scheme = SCHEME.exec(s)?.[0];
    const at = s.lastIndexOf('@');
    if (!scheme || at < scheme.length) return none;
    const info = s.slice(scheme.length, at);
    const colon = info.indexOf(':');
    const user = colon < 0 ? info : info.slice(0, colon);
    return { url: scheme + s.slice(at + 1), user: decode(user), password: colon < 0 ? '' : decode(info.slice(colon + 1)) };
  }
}

function maskUserinfo(scheme: string, userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon < 0 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
}

/** A URL for display: 'rtsp://admin:***@cam/live'; a lone user name (it may be a token) becomes ***, as do secret query values. */
export function redactUrl(raw: string): string {
  const s = raw.trim();
  const scheme = SCHEME.exec(s)?.[0];
  const parts = splitUrlCredentials(s);
  if (!scheme || (!parts.user && !parts.password)) return maskSecretParams(parts.url);
  const rest = maskSecretParams(parts.url.slice(scheme.length));
  return parts.password ? `${scheme}${encodeURIComponent(parts.user)}:***@${rest}` : `${scheme}***@${rest}`;
}

/** A secret this long is masked wherever it stands: inside a longer word it is no accident (and may be a leak). */
const MASK_ANYWHERE_LENGTH = 8;
const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/**
 * A secret as a pattern. A short one is masked where it stands as a token of its own (in a URL, after user:, between
 * blanks or quotes), not inside a longer word: password "p" must not turn "ffmpeg" into "ffm***eg". Only its ends
 * that are letters or digits need a boundary: "(p)" and "u:p@" are masked, and "x!" also in "x!y".
 */
function secretPattern(secret: string): string {
  const body = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (secret.length >= MASK_ANYWHERE_LENGTH) return body;
  const chars = [...secret];
  const before = WORD_CHAR.test(chars[0]) ? '(?<![\\p{L}\\p{N}])' : '';
  const after = WORD_CHAR.test(chars[chars.length - 1]) ? '(?![\\p{L}\\p{N}])' : '';
  return before + body + after;
}

/** Text with every URL's password and secret query values masked, and the given secrets (raw or URL-encoded) replaced by ***. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  const out = maskSecretParams(text.replace(USERINFO_IN_TEXT, (_m, scheme: string, info: string) => maskUserinfo(scheme, info)));
  const forms = new Set<string>();
  for (const s of secrets) if (s) [s, encodeURIComponent(s)].forEach((f) => forms.add(f));
  if (forms.size === 0) return out;
  // Longest first: a secret that contains another is replaced whole.
  const patterns = [...forms].sort((a, b) => b.length - a.length).map(secretPattern);
  return out.replace(new RegExp(patterns.join('|'), 'gu'), '***');
}

/** redactText bound to a camera's secrets, for everything its sources and node show. */
export function redactor(secrets: readonly (string | undefined)[]): Redact {
  const known = secrets.filter((s): s is string => !!s);
  return (text) => redactText(text, known);
}
