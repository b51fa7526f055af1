import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { Camera, CameraOutput } from '../lib/camera/camera';
import { CalibrationOptions } from '../lib/camera/calibration-capture';
import { Credentials, parseCameraConfig } from '../lib/camera/config';
import { numberIn, text } from '../lib/camera/options';

type CameraNodeDef = NodeDef & Record<string, unknown> & { topic?: string };

function calibrationOf(config: CameraNodeDef): CalibrationOptions | undefined {
  const dir = text(config.calibDir);
  if (!dir) return undefined;
  return { dir, every: numberIn('calibration: every', config.calibEvery, 1, 1e6, 10, true), max: numberIn('calibration: max frames', config.calibMax, 1, 1e6, 500, true) };
}

export = function (RED: NodeAPI): void {
  function YoloCameraNode(this: Node<Credentials>, config: CameraNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const topic = text(config.topic);
    let camera: Camera;
    try {
      const output: CameraOutput = {
        frame: (jpeg, info) => node.send({ payload: jpeg, frame: info, topic: topic || info.source }),
        status: (s) => node.status(s),
        warn: (m) => node.warn(m),
      };
      camera = new Camera(parseCameraConfig(config, node.credentials ?? {}), output, calibrationOf(config));
    } catch (err) {
      const message = (err as Error).message;
      node.status({ fill: 'red', shape: 'ring', text: `config: ${message}`.slice(0, 100) });
      node.error(`camera configuration: ${message}`);
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => done(new Error(message)));
      return;
    }
    camera.open();

    node.on('input', (msg: NodeMessageInFlow & { command?: unknown; frame?: unknown }, send, done) => {
      if (msg.command !== undefined) {
        camera.command(String(msg.command)).then(() => done(), (err: Error) => done(err));
        return;
      }
      if (config.mode !== 'trigger') {
        done(new Error('continuous mode: send msg.command start, stop, pause or resume (or set the mode to one frame per input message)'));
        return;
      }
      camera.capture().then(
        ({ jpeg, info }) => {
          msg.payload = jpeg;
          msg.frame = info;
          msg.topic = topic || msg.topic || info.source;
          send(msg);
          done();
        },
        (err: Error) => done(err),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      camera.close().then(done, (err: Error) => {
        node.warn(err.message);
        done();
      });
    });
  }

  RED.nodes.registerType<Node<Credentials>, CameraNodeDef, unknown, Credentials>('yolo-camera', YoloCameraNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
