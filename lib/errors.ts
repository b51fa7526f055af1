// The one error type of the package and its closed set of codes. Every error a node hands to done(err) carries
// one of these in msg.error.code (Node-RED copies the error's properties), so a Catch node flow can switch on it.
// README's "Error codes" table is checked against this list by a test.

export const ERROR_CODES = {
  // settings and messages
  BAD_CONFIG: 'a node setting is invalid (from the dialog, an import or the admin API), or a quantize --exclude pattern names no node of the model or leaves none to quantize',
  BAD_OPTION: 'a per-message detection option is out of range (msg.confidence, msg.iou, msg.classes, msg.maxDetections, msg.agnostic, msg.annotate)',
  BAD_PAYLOAD: 'msg.payload or another msg property has the wrong type or value (a yolo-edge/control payload too), or a file path (msg.filename, msg.payload) is not a readable regular file',
  BAD_COMMAND: 'msg.command (camera, shadow test) is not one the node knows, or a camera in continuous mode got a message without one',
  BAD_CLASS: 'a class name or id is not in the model',
  // images
  BAD_IMAGE: 'the image cannot be decoded',
  IMAGE_TOO_LARGE: 'the image, or the file it comes from, is over the size limits',
  IMAGE_TOO_SMALL: 'the image is smaller than the smallest size the detector takes',
  // models
  NO_MODEL: 'the node has no yolo-model configured, its yolo-model node is not deployed, or the id names a node of another type',
  MODEL_NOT_FOUND: 'the model file does not exist',
  MODEL_UNREADABLE: 'the model file or its names file cannot be read, or is a folder, FIFO or device (a names file also when it is in /proc, /sys or /dev, its text is not a list or id mapping of names or holds control characters or bytes that are not UTF-8, or it is over 4 MB or holds more than 10000 names)',
  MODEL_TOO_LARGE: 'the editor\'s model list cannot describe the file without reading its weights: too large, or too many protobuf fields for a model',
  MODEL_FETCH_FAILED: 'the default model could not be fetched (the log names the fix)',
  MODEL_LOAD_FAILED: 'onnxruntime could not create a session for the model',
  MODEL_CHANGED: 'the model file was replaced by other bytes after it was loaded (redeploy to load the new file), or changed while it was being loaded (a later try loads it, in a node at the next frame); the same bytes copied again or put back are the same model',
  NOT_ONNX: 'the file is not an ONNX model',
  NOT_DETECTOR: 'the model is not a YOLO detector this package can read',
  UNSUPPORTED_TYPE: 'the model\'s input or output element type is not float32, float16 or uint8',
  BAD_SIZE: 'an input size (a model\'s own, or one asked of resize-input) is over 4096 on a side or declared 0 or less, a dynamic model\'s imgsz is not a multiple of its stride, or (resize-input) not a multiple of the model\'s stride from twice it to 4096',
  NOT_FLOAT: 'the model is not a float model (quantize and resize take float models)',
  ALREADY_QUANTIZED: 'the model is quantized already',
  OPSET: "the model's opset is too old for the operation (re-export with a newer opset)",
  MISSING_DEPENDENCY: 'an optional program or package the operation needs is missing',
  // running
  BAD_OUTPUT: 'the model gave an output of an unexpected shape, a score over 1 (a head exported without its final sigmoid), or an end-to-end output a row whose class is not a class id (its columns are not x1, y1, x2, y2, score, class) or is past the model\'s class names',
  INFERENCE_FAILED: 'onnxruntime failed while running the model',
  WORKER_DIED: 'a model or image worker thread stopped while frames were in it (it is started again)',
  BUSY: 'the queue busy policy refused the frame (its queue was full: its frame count, or 512 MB of waiting image bytes, an eighth of the memory below 4 GB; drop-oldest and drop-newest drop frames without an error, counted), or 16 camera capture requests were waiting already',
  PAUSED: 'the camera is paused (msg.command pause); a paused detector drops frames without an error, counted',
  CLOSED: 'the node or detector is closing (a frame still in progress 5 s after close began ends with it)',
  // camera
  NO_FRAME: 'the camera gave no frame',
  STOPPED: 'the camera is stopped',
  NO_FOLDER: 'the folder camera cannot read its folder',
  SNAPSHOT_FAILED: 'a snapshot URL gave no whole image (HTTP error, deadline or size limit)',
  NOT_PULLABLE: 'a streaming camera source was asked for a single frame',
  // temperature
  SENSOR_FAILED: 'a temperature sensor or tool gave no plausible reading',
  // shadow test
  NO_CANDIDATE: 'the shadow test has no candidate model',
  PROMOTE_REFUSED: 'the candidate cannot be promoted (it does not load, its file changed since it loaded, failed comparisons or settings it cannot run)',
  ALREADY_PROMOTED: 'the candidate is production already',
  NOTHING_TO_ROLL_BACK: 'there is no earlier production model to roll back to (nothing was promoted, or it does not load)',
  // offline tools
  NO_IMAGES: 'the dataset or folder has no images, or (eval, quantize, bench, shadow) none that can be read and decoded',
  NO_LABELS: "the dataset has no label files where eval looks for them (DIR/labels/<image name>.txt, or beside the images), or every image's label file has a line eval cannot use",
  BAD_SPLIT: 'the dataset split is not one the tool knows',
  OUTPUT_UNWRITABLE: 'the output file cannot be written, or is the input model',
  UNSUPPORTED_MODEL: 'resize-input cannot rewrite this model (dynamic, end-to-end, quantized anchor points or strides, or a grid constant it cannot place), or quantize and resize-input get a model with external data',
  QUANTIZE_FAILED: 'the quantized (or float) model the tool made does not load in onnxruntime; nothing was written',
  RESIZE_FAILED: 'the resized model did not run or gave an output of the wrong shape',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class YoloEdgeError extends Error {
  /** options.cause keeps the underlying error (e.g. a spawn's ENOENT) for code that acts on it. */
  constructor(message: string, readonly code: ErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'YoloEdgeError';
  }
}

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, v);
}
