import { YoloEdgeError } from '../errors';
import { kindOf, shownStart } from './fields';

/**
 * msg.command as one of a node's commands, any case, blanks around it ignored; BAD_COMMAND otherwise. Only a
 * string: String() would turn ['promote'] into 'promote' and let a wrongly built msg act.
 */
export function parseCommand<T extends string>(v: unknown, commands: readonly T[]): T {
  const use = `use ${commands.join(', ')}`;
  if (typeof v !== 'string') throw new YoloEdgeError(`msg.command must be a string (${use}), got ${kindOf(v)}`, 'BAD_COMMAND');
  const cmd = v.trim().toLowerCase();
  if (!(commands as readonly string[]).includes(cmd)) throw new YoloEdgeError(`unknown command ${shownStart(v)}: ${use}`, 'BAD_COMMAND');
  return cmd as T;
}
