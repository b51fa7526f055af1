import { parseCommand } from '../config/command';

/** What msg.command may ask of a shadow test. */
export const SHADOW_COMMANDS = ['promote', 'rollback', 'reset'] as const;
export type ShadowCommand = (typeof SHADOW_COMMANDS)[number];

export function parseShadowCommand(v: unknown): ShadowCommand {
  return parseCommand(v, SHADOW_COMMANDS);
}
