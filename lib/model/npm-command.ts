import { existsSync } from 'fs';
import * as path from 'path';

/** How to run npm: a program and the arguments that come before npm's own. */
export interface NpmCommand {
  cmd: string;
  args: string[];
}

/**
 * The npm that belongs to this Node.js, not whatever is on PATH (a service or palette-manager install may have
 * none): the npm running us (npm_execpath), else the npm that ships beside process.execPath, else `npm`.
 */
export function npmCommand(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): NpmCommand {
  const viaEnv = env.npm_execpath;
  if (viaEnv && /npm-cli\.c?js$/.test(viaEnv) && existsSync(viaEnv)) return { cmd: execPath, args: [viaEnv] };
  const bin = path.dirname(execPath);
  const beside = [
    path.join(bin, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), // Linux and macOS layouts
    path.join(bin, 'node_modules', 'npm', 'bin', 'npm-cli.js'), // Windows layout
  ].find((f) => existsSync(f));
  if (beside) return { cmd: execPath, args: [beside] };
  return { cmd: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: [] };
}
