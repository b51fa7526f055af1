#!/usr/bin/env node
import { UsageError } from './args';
import { endLine } from './commands/command';
import { COMMANDS } from './commands/index';
import { removeScratch } from '../lib/tools/temp-files';
import { cutMiddle } from '../lib/config/fields';

function help(): string {
  // usage lines after the first are indented by 7 ('usage: '): indent the first as much so they line up
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}\n       ${c.usage}`);
  return 'yolo-edge: YOLO object detection on the edge (the CLI of node-red-contrib-yolo-edge)\n\n' +
    `Commands (yolo-edge COMMAND --help shows one):\n${lines.join('\n')}\n\n` +
    'detect and eval without --model use the default model, yolov8n.onnx; a bare model name not found in the\n' +
    'working folder is one in the package\'s models/.\n' +
    'Exit status: 0 done; 1 failed (a missing file, an image given to detect that cannot be decoded, a dataset\n' +
    'without one usable image, a model that fails); 2 a mistake in the command line (an unknown option, a value\n' +
    'out of range), with the command\'s usage line. eval, quantize, bench and shadow leave out the images of a\n' +
    'dataset they cannot read or decode, named in one warning.\n' +
    'eval, quantize, bench and shadow take a dataset folder or an Ultralytics data.yaml: its val split (what\n' +
    'Ultralytics validates and calibrates INT8 on), or --split train or test; --split even or odd halves it.\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // no command is a mistake in the command line: the help goes where errors go, so `yolo-edge > out` shows it
    process.stderr.write(`no command given\n\n${help()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.summary}\n\nusage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    await cmd.run(rest);
    return 0;
  } catch (e) {
    endLine();
    const usage = e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`yolo-edge ${name}: ${cutMiddle((e as Error).message, 2000)}\n${usage ? `usage: ${cmd.usage}\n` : ''}`);
    return usage ? 2 : 1;
  }
}

// `yolo-edge detect ... | head`: the reader has all it wants; end quietly as Unix tools do, not with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

// Ctrl-C, a kill or a closed terminal (SIGHUP: an ssh session to the Pi that drops) in a long quantize, bench or
// fetch-model: stop its child processes and remove the scratch files its finally blocks would have, then end by the
// same signal, as the shell expects.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    removeScratch();
    endLine();
    process.kill(process.pid, signal);
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
