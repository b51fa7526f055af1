import { constants, promises as fs } from 'fs';

// How a folder that cannot be used is said to the user: the one wording of each case, for the folder camera, the
// offline tools' image and output folders and the CLI. An errno code alone names only the system call.

/** What is wrong with a folder. */
export type FolderProblemKind = 'missing' | 'file' | 'file-in-path' | 'permission' | 'not-writable' | 'other';

export interface FolderProblem {
  kind: FolderProblemKind;
  /** The sentence for the user; it names the folder. */
  text: string;
  /** The error that showed the problem, when one did (a file in the folder's place is seen by stat, not an error). */
  cause?: NodeJS.ErrnoException;
}

/** The wording of each case. `code` is the errno code (or message) the permission, not-writable and other cases name. */
export function folderProblemText(dir: string, kind: FolderProblemKind, code = 'unknown error'): string {
  switch (kind) {
    case 'missing':
      return `folder ${dir} does not exist`;
    case 'file':
      return `${dir} is a file, not a folder`;
    case 'file-in-path':
      return `${dir} cannot be a folder: a part of its path is a file`;
    case 'permission':
      return `folder ${dir} cannot be opened: permission denied (${code})`;
    case 'not-writable':
      return `folder ${dir} is not writable (${code})`;
    case 'other':
      return `folder ${dir} cannot be opened (${code})`;
  }
}

function problem(dir: string, kind: FolderProblemKind, cause?: NodeJS.ErrnoException): FolderProblem {
  return { kind, text: folderProblemText(dir, kind, cause?.code ?? cause?.message), ...(cause && { cause }) };
}

/**
 * The problem an errno of a call on the folder itself (stat, readdir, mkdir) shows. ENOTDIR is a file in the
 * folder's path; a readdir of a file in the folder's place gives it too, which readdirProblem tells apart.
 */
export function errnoProblem(dir: string, err: NodeJS.ErrnoException): FolderProblem {
  switch (err.code) {
    case 'ENOENT':
      return problem(dir, 'missing', err);
    case 'ENOTDIR':
      return problem(dir, 'file-in-path', err);
    case 'EACCES':
    case 'EPERM':
      return problem(dir, 'permission', err);
    default:
      return problem(dir, 'other', err);
  }
}

/** Why a folder could not be listed, from the error readdir gave: an ENOTDIR is looked at again to tell a file in the folder's place. */
export async function readdirProblem(dir: string, err: NodeJS.ErrnoException): Promise<FolderProblem> {
  if (err.code === 'ENOTDIR') {
    const st = await fs.stat(dir).catch(() => undefined);
    if (st && !st.isDirectory()) return problem(dir, 'file', err);
  }
  return errnoProblem(dir, err);
}

/** What keeps `dir` from being used as a folder (written into, with `writable`), or undefined when nothing does. */
export async function checkFolder(dir: string, options: { writable?: boolean } = {}): Promise<FolderProblem | undefined> {
  try {
    if (!(await fs.stat(dir)).isDirectory()) return problem(dir, 'file');
  } catch (err) {
    return errnoProblem(dir, err as NodeJS.ErrnoException);
  }
  if (!options.writable) return undefined;
  try {
    await fs.access(dir, constants.W_OK);
    return undefined;
  } catch (err) {
    return problem(dir, 'not-writable', err as NodeJS.ErrnoException);
  }
}
