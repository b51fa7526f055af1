import { Command } from './command';
import { detect } from './detect';
import { evalCmd } from './eval';
import { fetchModel } from './fetch-model';
import { temperature } from './temperature';
import { shadow } from './shadow';

export const COMMANDS: Record<string, Command> = {
  detect,
  eval: evalCmd,
  'fetch-model': fetchModel,
  temperature,
  shadow,
};
