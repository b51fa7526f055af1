import { YoloEdgeError } from '../errors';

/**
 * Which model serves the line and which one shadows it. Promote swaps them (the old production
 * keeps running as the shadow, ready for rollback); rollback swaps back. Swaps are synchronous,
 * so a frame always sees one consistent pair.
 */
export class ModelRoles<M> {
  private prod: M;
  private cand: M | undefined;
  private isPromoted = false;
  /** Bumped on every swap, so work started before it can tell it is stale. */
  generation = 0;

  constructor(production: M, candidate: M | undefined) {
    this.prod = production;
    this.cand = candidate;
  }

  get production(): M {
    return this.prod;
  }

  get candidate(): M | undefined {
    return this.cand;
  }

  get promoted(): boolean {
    return this.isPromoted;
  }

  promote(): void {
    if (this.cand === undefined) throw new YoloEdgeError('promote: no candidate model configured', 'NO_CANDIDATE');
    if (this.isPromoted) throw new YoloEdgeError('promote: the candidate is already production (rollback first)', 'ALREADY_PROMOTED');
    this.swap();
    this.isPromoted = true;
  }

  rollback(): void {
    if (!this.isPromoted || this.cand === undefined) throw new YoloEdgeError('rollback: nothing was promoted', 'NOTHING_TO_ROLL_BACK');
    this.swap();
    this.isPromoted = false;
  }

  private swap(): void {
    const old = this.prod;
    this.prod = this.cand as M;
    this.cand = old;
    this.generation++;
  }
}
