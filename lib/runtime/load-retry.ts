import { fileIdentity } from './file-identity';

export const RETRY_MIN_MS = 1_000;
export const RETRY_MAX_MS = 10_000;

interface Failure {
  error: Error;
  at: number;
  file: string;
  identity?: string;
}

/**
 * When a model load that failed is tried again. Frames ask for the model one after another, and each try of a file
 * onnxruntime refuses reads and hashes it and starts a worker (a failed default-model download runs npm again): at
 * 10 fps that is ten loads a second. A try is made at once when the file changed since the failure (it appeared,
 * or was replaced), else after a wait that doubles from RETRY_MIN_MS to RETRY_MAX_MS while tries keep failing.
 */
export class LoadRetry {
  private last?: Failure;
  private waitMs = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The last failure's error while a new try would meet the same file too soon; undefined when one may be made. */
  async held(file: string): Promise<Error | undefined> {
    const f = this.last;
    if (!f || f.file !== file || this.now() - f.at >= this.waitMs) return undefined;
    return (await identityOf(file)) === f.identity ? f.error : undefined;
  }

  /** The file's identity now, to give to failed() if the try that follows fails. */
  identity(file: string): Promise<string | undefined> {
    return identityOf(file);
  }

  failed(error: Error, file: string, identity: string | undefined): void {
    this.waitMs = this.last ? Math.min(RETRY_MAX_MS, this.waitMs * 2) : RETRY_MIN_MS;
    this.last = { error, at: this.now(), file, identity };
  }

  succeeded(): void {
    this.last = undefined;
    this.waitMs = 0;
  }
}

async function identityOf(file: string): Promise<string | undefined> {
  try {
    return await fileIdentity(file);
  } catch {
    return undefined;
  }
}
