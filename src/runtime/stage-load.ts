/**
 * How a stage node takes an `assign`: where the stage model's bytes come from (the connection, or a
 * file confined to the node's model directory and checked against its SHA-256), the checks that the
 * plan routes every model input to the stage, and the onnxruntime session. Each refusal is one line
 * naming the stage, which the node replies with.
 */
import type { InferenceBackend, InferenceSession } from '../backend/backend.js';
import { errorMessage } from '../core/errors.js';
import { MODEL_FILE_REFUSED, readConfinedModel } from './model-dir.js';
import type { Pacer } from './pacing.js';
import { MODEL_TENSOR_NAME, type AssignMessage } from './protocol.js';

/** A refusal: the reply's error, and (for the connection log) why a model file was refused. */
export interface AssignRefusal {
  readonly ok: false;
  readonly error: string;
  /** Set when the model file was refused: logged as `model-file-refused`, never sent to the peer. */
  readonly fileReason?: string;
}

/**
 * The stage model's bytes for `req` (those sent over the connection first, else its confined model
 * file), after checking what can be checked before loading: model inputs among the expected tensors,
 * pacing acceptable to this node's pacer.
 */
export async function stageModelBytes(
  req: AssignMessage,
  sent: Uint8Array | undefined,
  modelDir: string | undefined,
  pacer: Pacer | undefined,
): Promise<{ readonly ok: true; readonly bytes: Uint8Array } | AssignRefusal> {
  let bytes = sent;
  if (!bytes && req.modelFile) {
    const file = await readConfinedModel(modelDir, req.modelFile.path, req.modelFile.sha256);
    if (!file.ok)
      return { ok: false, error: `stage ${req.stageId}: ${MODEL_FILE_REFUSED}`, fileReason: file.reason };
    bytes = file.bytes;
  }
  if (!bytes)
    return {
      ok: false,
      error: `no ${MODEL_TENSOR_NAME} tensor frame received before assign of stage ${req.stageId}`,
    };
  const bad = req.modelInputs.find((n) => !req.expects.includes(n));
  if (bad)
    return {
      ok: false,
      error: `stage ${req.stageId}: model input '${bad}' is not among the expected tensors`,
    };
  const pacingRefused = req.pacing && pacer?.check(req.pacing);
  if (pacingRefused) return { ok: false, error: pacingRefused };
  return { ok: true, bytes };
}

/** Loads the stage session (1 inference at a time, `req.intraOpThreads` threads) and checks its inputs. */
export async function openStageSession(
  backend: InferenceBackend,
  bytes: Uint8Array,
  req: AssignMessage,
): Promise<{ readonly ok: true; readonly session: InferenceSession } | AssignRefusal> {
  let session: InferenceSession;
  try {
    session = await backend.load(bytes, { intraOpThreads: req.intraOpThreads });
  } catch (err) {
    return { ok: false, error: `stage ${req.stageId}: ${errorMessage(err)}` };
  }
  const missing = session.inputNames.find((n) => !req.modelInputs.includes(n));
  if (missing) {
    await session.release();
    return {
      ok: false,
      error: `stage ${req.stageId}: model needs input '${missing}' that the plan does not route to it`,
    };
  }
  return { ok: true, session };
}
