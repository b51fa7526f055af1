// Every msg.topic the package sends or reads, and the editor's preview channel: one scheme, yolo-edge/<area>[/<what>].

export const TOPICS = {
  /** To yolov8-detect and yolo-shadow-test: rate limit and pause (payload: ControlPayload). */
  control: 'yolo-edge/control',
  /** From yolo-temperature: a reading. */
  temperature: 'yolo-edge/temperature',
  /** From yolo-temperature: a change of thermal state. */
  thermalState: 'yolo-edge/thermal-state',
  /** From yolo-shadow-test's second output: a comparison of production and candidate. */
  shadowReport: 'yolo-edge/shadow/report',
  /** From yolo-shadow-test's second output: an alarm raised or cleared. */
  shadowAlarm: 'yolo-edge/shadow/alarm',
  /** From yolo-shadow-test's second output: the answer to msg.command. */
  shadowCommand: 'yolo-edge/shadow/command',
  /** RED.comms topic prefix of the editor preview; the node id follows. */
  preview: 'yolo-edge/preview/',
} as const;
