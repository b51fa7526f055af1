import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { Camera, CameraOutput } from '../lib/camera/camera';
import { CalibrationOptions } from '../lib/camera/calibration-capture';
import { CameraConfig, Credentials, FIELD_SOURCES, parseCameraConfig } from '../lib/camera/config';
import type { TlsOptions } from '../lib/camera/http-sources';
import { fieldError, numberField, optionalFolderPath, shownId, STATUS_MAX, statusText, text, textField } from '../lib/config/fields';
import { Redact, redactor, splitUrlCredentials } from '../lib/camera/redact';
import { moveUrlCredentialsOnStart } from './shared/url-credentials';
import { YoloEdgeError } from '../lib/errors';

type YoloCameraDef = NodeDef & Record<string, unknown> & { topic?: string };

function calibrationOf(config: YoloCameraDef): CalibrationOptions | undefined {
  const dir = optionalFolderPath('calibration folder', config.calibDir, '/home/pi/calib');
  if (!dir) return undefined;
  return { dir, every: numberField('calibration: every', config.calibEvery, 10, { min: 1, max: 1e6, integer: true }), max: numberField('calibration: max frames', config.calibMax, 500, { min: 1, max: 1e6, integer: true }) };
}

/**
 * The credentials to use: the node's, else those an old flow's URL still carries. The URL is stripped of them
 * in this node's config, so nothing later shows it.
 */
function credentialsOf(config: YoloCameraDef, stored: Credentials | undefined, warn: (m: string) => void): Credentials {
  const inline = splitUrlCredentials(text(config.url));
  if (inline.user || inline.password) {
    config.url = inline.url;
    warn('the camera URL in this flow holds a user name and password in plain text: they are used and now kept as the node\'s credentials; deploy a change to this flow to save it without them');
  }
  return { user: credential('user', stored?.user) || inline.user, password: credential('password', stored?.password) || inline.password };
}

/**
 * A stored credential as text, untrimmed (a password may end in a space). Node-RED keeps what the admin API was
 * given: a password of digits sent as a JSON number threw a TypeError out of the constructor, and Node-RED left the
 * camera out of the flow. Anything but text or a number is BAD_CONFIG, shown by its kind only.
 */
function credential(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null || typeof v === 'string') return v ?? undefined;
  if (typeof v === 'number') return String(v);
  throw fieldError(field, 'text', v);
}

type TlsConfigNode = Node & { addTLSOptions?: (opts: TlsOptions) => TlsOptions };

/**
 * The options of the TLS configuration node chosen for an https camera (Node-RED's own tls-config, as the http
 * request node uses). Looked up only for the sources that use it: a stale choice must not stop another source.
 */
function tlsOf(RED: NodeAPI, config: YoloCameraDef): TlsOptions | undefined {
  const id = textField('TLS configuration', config.tls);
  if (!id || !['mjpeg', 'snapshot'].includes(text(config.source))) return undefined;
  const tlsNode = RED.nodes.getNode(id) as TlsConfigNode | null;
  if (typeof tlsNode?.addTLSOptions !== 'function') throw new YoloEdgeError(`TLS configuration ${shownId(id)} not found (deleted, or not a tls-config node)`, 'BAD_CONFIG');
  return tlsNode.addTLSOptions({});
}

export = function (RED: NodeAPI): void {
  moveUrlCredentialsOnStart(RED, 'yolo-camera');

  function YoloCamera(this: Node<Credentials>, config: YoloCameraDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    // Every status, warning and error of this node passes here, once the password is known.
    let redact: Redact = redactor([]);
    const fail = (err: Error): Error => {
      err.message = redact(err.message);
      return err;
    };
    let camera: Camera;
    let cameraConfig: CameraConfig;
    let topic: string;
    try {
      const creds = credentialsOf(config, node.credentials, (m) => node.warn(m));
      redact = redactor([creds.password]);
      topic = textField('topic', config.topic);
      const output: CameraOutput = {
        frame: (jpeg, info) => node.send({ payload: jpeg, frame: info, topic: topic || info.source }),
        // cut after masking: a password cut in two would not be recognised, and its first part would show
        status: (s) => node.status({ ...s, text: statusText(redact(s.text), STATUS_MAX) }),
        warn: (m) => node.warn(redact(m)),
      };
      cameraConfig = parseCameraConfig(config, creds, tlsOf(RED, config));
      camera = new Camera(cameraConfig, output, calibrationOf(config));
    } catch (err) {
      const message = redact((err as Error).message);
      node.status({ fill: 'red', shape: 'ring', text: statusText(`config: ${message}`, STATUS_MAX) });
      node.error(`camera configuration: ${message}`);
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => done(new YoloEdgeError(message, 'BAD_CONFIG')));
      return;
    }
    camera.open();

    node.on('input', (msg: NodeMessageInFlow & { command?: unknown; frame?: unknown }, send, done) => {
      if (msg.command !== undefined) {
        camera.command(msg.command).then(() => done(), (err: Error) => done(fail(err)));
        return;
      }
      // the parsed mode: the raw one may hold spaces (' trigger ') that the parser trims
      if (cameraConfig.mode !== 'trigger') {
        done(new YoloEdgeError('continuous mode: send msg.command start, stop, pause or resume (or set the mode to one frame per input message)', 'BAD_COMMAND'));
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
        (err: Error) => done(fail(err)),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      camera.close().then(done, (err: Error) => {
        node.warn(redact(err.message));
        done();
      });
    });
  }

  RED.nodes.registerType<Node<Credentials>, YoloCameraDef, unknown, Credentials>('yolo-camera', YoloCamera, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
    // the dialog's checks read which fields each source uses from here (RED.settings.yoloCameraFieldSources), not a copy
    settings: { yoloCameraFieldSources: { value: FIELD_SOURCES, exportable: true } },
  });
};
