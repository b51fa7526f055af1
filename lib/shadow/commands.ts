import { parseCommand } from '../config/command';

/** What msg.command may ask of a shadow test. */
export const SHADOW_COMMANDS = ['promote', 'rollback', 'reset'] as const;
export type ShadowCommand = (typeof SHADOW_COMMANDS)[number];

export function parseShadowCommand(v: unknown): ShadowCommand {
  return parseCommand(v, SHADOW_COMMANDS);
}

const isCommand = (v: unknown): v is string => typeof v === 'string' && (SHADOW_COMMANDS as readonly string[]).includes(v.trim().toLowerCase());

/**
 * The longest text read as a command: {"command": "promote"} with room for blanks and other keys. A longer one is
 * not parsed: any text payload comes here (an http-in body), and parsing 12 MB of nested JSON held the event loop 0.5 s.
 */
const MAX_COMMAND_TEXT = 1024;

/**
 * The command a msg.payload holds where a frame was expected: 'promote', {command: 'promote'} (an inject node's or
 * MQTT's JSON) or that object as JSON text. Such a msg is no frame, and the image error it would get misleads.
 */
export function commandInPayload(payload: unknown): string | undefined {
  if (typeof payload === 'string' && payload.length > MAX_COMMAND_TEXT) return undefined;
  if (isCommand(payload)) return payload.trim();
  let v = payload;
  if (typeof v === 'string' && v.trimStart().startsWith('{')) {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const command = v !== null && typeof v === 'object' ? (v as { command?: unknown }).command : undefined;
  return isCommand(command) ? command.trim() : undefined;
}
