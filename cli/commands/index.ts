import { bench } from './bench';
import { Command } from './command';
import { detect } from './detect';
import { evalCmd } from './eval';
import { fetchModel } from './fetch-model';
import { temperature } from './temperature';
import { shadow } from './shadow';
import { quantize } from './quantize';
import { resizeInput } from './resize-input';

export const COMMANDS: Record<string, Command> = {
  bench,
  detect,
  eval: evalCmd,
  'fetch-model': fetchModel,
  temperature,
  shadow,
  quantize,
  'resize-input': resizeInput,
};
