// What a failed call is recorded as: the error's name (WebLLM sets one on every class; a web
// worker engine rejects with "Name: message" strings) and, where the monitor allows it, its
// message cut to MAX_MESSAGE_CHARS.

/** Error messages are cut to this many characters (then "…"). */
export const MAX_MESSAGE_CHARS = 500;

/**
 * The name and message of anything a WebLLM engine throws or rejects with: `err.name` for
 * errors (WebLLM sets it on every class), the leading name of a web worker's "Name: message"
 * string, else "Error". A name is an identifier of at most 128 characters (anything else gives
 * "Error"), and a worker string's leading word counts as a name only when it reads as one
 * ("...Error", "...Exception", or one of WebLLM's few other names): "Summarize: <text>" is not
 * an error named "Summarize", so no word of a message becomes a name.
 * @param {unknown} err
 * @returns {{ name: string, message: string }}
 */
export function classifyError(err) {
  try {
    if (typeof err === 'string') return classifyString(err);
    if (err !== null && typeof err === 'object') {
      const e = /** @type {any} */ (err);
      let name = typeof e.name === 'string' && e.name !== '' ? e.name : undefined;
      if (name === undefined) {
        const ctor = e.constructor && e.constructor.name;
        name = typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? ctor : 'Error';
      }
      if (!ERROR_NAME.test(name)) name = 'Error';
      const message = typeof e.message === 'string' ? e.message : e.message === undefined ? '' : String(e.message);
      return { name, message };
    }
    if (err === undefined) return { name: 'Error', message: '' };
    return { name: 'Error', message: String(err) };
  } catch {
    return { name: 'Error', message: '' };
  }
}

const ERROR_NAME = /^[A-Za-z_$][\w$]{0,127}$/;
const LEADING_NAME = /^\s*([A-Za-z_$][\w$]{0,127})\s*:\s?([\s\S]*)$/;
/** WebLLM's error names that do not end in "Error". */
const OTHER_NAMES = new Set(['TextCompletionConversationExpectsPrompt', 'UserMessageContentErrorForNonVLM']);

function classifyString(text) {
  const m = LEADING_NAME.exec(text);
  if (m && (/(Error|Exception)$/.test(m[1]) || OTHER_NAMES.has(m[1]))) return { name: m[1], message: m[2] };
  return { name: 'Error', message: text };
}

/** A message cut to MAX_MESSAGE_CHARS (without splitting a surrogate pair). */
export function boundMessage(message) {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  let n = MAX_MESSAGE_CHARS;
  const c = message.charCodeAt(n - 1);
  if (c >= 0xd800 && c <= 0xdbff) n -= 1;
  return message.slice(0, n) + '…';
}
