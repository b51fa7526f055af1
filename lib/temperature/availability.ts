/** Remembers which sources are down so each outage is reported once, and its end once. */
export class SourceAvailability {
  private readonly down = new Map<string, string>();

  /** Records a failure; true only for the first failure of an outage. */
  fail(source: string, reason: string): boolean {
    const isNew = !this.down.has(source);
    this.down.set(source, reason);
    return isNew;
  }

  /** Records a success; true when it ends an outage. */
  ok(source: string): boolean {
    return this.down.delete(source);
  }

  snapshot(): Record<string, string> {
    return Object.fromEntries(this.down);
  }
}
