/** Growable struct-of-arrays of candidate boxes in model-input pixels (x1, y1, x2, y2). */
export class Candidates {
  boxes = new Float32Array(4 * 1024);
  scores = new Float32Array(1024);
  classIds = new Int32Array(1024);
  count = 0;

  clear(): void {
    this.count = 0;
  }

  /**
   * Adds a box; one with a NaN or infinite corner or score (a broken export, an overflowing float16 head) is no box
   * and is left out: it reached msg.payload as nulls in JSON. Float32 is what is stored, so that is what is checked.
   * So is one with a negative width or height (no head gives one): its x2 came out left of its x1.
   */
  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    if (!(finite32(x1) && finite32(y1) && finite32(x2) && finite32(y2) && finite32(score))) return;
    if (x2 < x1 || y2 < y1) return;
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[4 * i] = x1;
    this.boxes[4 * i + 1] = y1;
    this.boxes[4 * i + 2] = x2;
    this.boxes[4 * i + 3] = y2;
    this.scores[i] = score;
    this.classIds[i] = classId;
  }

  private grow(): void {
    const n = this.scores.length * 2;
    const boxes = new Float32Array(4 * n);
    boxes.set(this.boxes);
    const scores = new Float32Array(n);
    scores.set(this.scores);
    const classIds = new Int32Array(n);
    classIds.set(this.classIds);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
  }
}

function finite32(v: number): boolean {
  return Number.isFinite(Math.fround(v));
}
