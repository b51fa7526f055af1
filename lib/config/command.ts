import { YoloEdgeError } from '../errors';
import { kindOf, shown } from './fields';

/** Longest msg.command an error repeats: a payload put in msg.command by mistake may be megabytes. */
const SHOWN_COMMAND = 40;

function shownCommand(v: string): string {
  return v.length > SHOWN_COMMAND ? `${shown(v.slice(0, SHOWN_COMMAND))}... (${v.length} characters)` : shown(v);
}

/**
 * msg.command as one of a node's commands, any case, blanks around it ignored; BAD_COMMAND otherwise. Only a
 * string: String() would turn ['promote'] into 'promote' and let a wrongly built msg act.
 */
export function parseCommand<T extends string>(v: unknown, commands: readonly T[]): T {
  const use = `use ${commands.join(', ')}`;
  if (typeof v !== 'string') throw new YoloEdgeError(`msg.command must be a string (${use}), got ${kindOf(v)}`, 'BAD_COMMAND');
  const cmd = v.trim().toLowerCase();
  if (!(commands as readonly string[]).includes(cmd)) throw new YoloEdgeError(`unknown command ${shownCommand(v)}: ${use}`, 'BAD_COMMAND');
  return cmd as T;
}
