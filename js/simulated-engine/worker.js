// Worker mode (`worker: true`): a WebWorkerMLCEngine's client. What runs in "the worker"
// rejects with `err.toString()` strings; the client's own checks reject with Error objects.

import { SimulatedErrors } from './errors.js';
import { getModelIdToUse } from './requests.js';

/** What a worker engine's client rejects with for an error thrown in the worker. */
export function toWorkerRejection(err) {
  // WebWorkerMLCEngineHandler.handleTask: `const errStr = err.toString();`
  try {
    return err !== null && err !== undefined && typeof err.toString === 'function' ? err.toString() : String(err);
  } catch {
    return String(err);
  }
}

/** The client-side checks of a WebWorkerMLCEngine (these reject with Error objects). */
export function workerClientCheck(engine, request, requestName) {
  if (engine.modelId === undefined) throw new SimulatedErrors.WorkerEngineModelNotLoadedError('WebWorkerMLCEngine');
  if (requestName !== undefined) getModelIdToUse(engine.modelId, request.model, requestName);
}

/** What happens in "the worker": rejections become strings. */
export async function asWorker(promise, onSuccess) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    throw toWorkerRejection(err);
  }
  onSuccess?.();
  return value;
}

export async function workerResult(promise) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    throw toWorkerRejection(err);
  }
  if (result && typeof result[Symbol.asyncIterator] === 'function') return workerStream(result);
  return result;
}

/** A worker engine's client-side stream: next() rejections are strings. */
export async function* workerStream(inner) {
  const it = inner[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let r;
      try {
        r = await it.next();
      } catch (err) {
        done = true;
        throw toWorkerRejection(err);
      }
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
