/** A reason warned again after this long: a camera retrying for days logs it about once a minute, not per retry. */
export const WARN_REPEAT_MS = 60_000;
/** Distinct reasons remembered: a camera alternating between two failures warns of each once. */
const REMEMBERED = 16;

/**
 * Which of a camera's warnings reach the log: each reason once, again after WARN_REPEAT_MS. Reasons that differ only
 * in their counts (bytes read, frames over the size) are one reason: the counts change on every retry.
 */
export class WarningFilter {
  private readonly lastAt = new Map<string, number>();

  // the monotonic clock: a wall clock set back would silence every reason for as long
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** True when `message` is to be logged now. */
  admit(message: string): boolean {
    const key = message.replace(/\d+(?:\.\d+)?(?= (?:bytes|not JPEG|parts|frames?)\b)/g, '#');
    const now = this.now();
    const at = this.lastAt.get(key);
    if (at !== undefined && now - at < WARN_REPEAT_MS) return false;
    this.lastAt.delete(key);
    this.lastAt.set(key, now);
    if (this.lastAt.size > REMEMBERED) this.lastAt.delete(this.lastAt.keys().next().value as string);
    return true;
  }
}
