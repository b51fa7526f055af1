import { YoloEdgeError } from '../errors';

/** What msg.command may ask of a shadow test. */
export const SHADOW_COMMANDS = ['promote', 'rollback', 'reset'] as const;
export type ShadowCommand = (typeof SHADOW_COMMANDS)[number];

/** The kind of a value that is not a string, for the error (an object's contents may be large or circular). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * msg.command as a command, any case, blanks around it ignored; BAD_COMMAND otherwise. Only a string: String()
 * would turn ['promote'] into 'promote' and let a wrongly built msg promote the candidate.
 */
export function parseShadowCommand(v: unknown): ShadowCommand {
  const use = `use ${SHADOW_COMMANDS.join(', ')}`;
  if (typeof v !== 'string') throw new YoloEdgeError(`msg.command must be a string (${use}), got ${kindOf(v)}`, 'BAD_COMMAND');
  const cmd = v.trim().toLowerCase();
  if (!(SHADOW_COMMANDS as readonly string[]).includes(cmd)) throw new YoloEdgeError(`unknown command '${v}': ${use}`, 'BAD_COMMAND');
  return cmd as ShadowCommand;
}
