/**
 * From a handler string to a function, the way Lambda's Node runtime does it.
 *
 *   "dir/sub/module.nested.fn"  →  moduleRoot "dir/sub/", module "module", path "nested.fn"
 *
 * The module is looked up relative to the task root, in this order:
 *   1. `<module>` exactly (a file without extension, loaded as CommonJS)
 *   2. `<module>.js` as CommonJS, unless the nearest package.json says `"type": "module"`
 *   3. `<module>.js` as an ES module (when it does), then `<module>.mjs`, then `<module>.cjs`
 *   4. Node's own resolution of `<module>` from the task root (a package in node_modules)
 * and the function is looked up on the module, then on its `default` export.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CallbackHandlerDeprecated,
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.js';

/** Marks a handler as streaming (`"response"`); the key Lambda's runtime uses, so libraries setting it directly work. */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAM_RESPONSE = 'response';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = (...args: any[]) => unknown;

export interface HandlerMetadata {
  /** Declared with `awslambda.streamifyResponse`. */
  streaming: boolean;
  /** The stream's buffer size asked for in `streamifyResponse(handler, { highWaterMark })`. */
  highWaterMark?: number;
  /** An `async function`: if its promise never settles the invoke fails rather than answering null. */
  isAsync: boolean;
  /** Declared parameter count; 3 on a non-streaming handler means callback style. */
  argsNum: number;
}

export interface LoadedHandler {
  handler: AnyHandler;
  metadata: HandlerMetadata;
}

export interface HandlerName {
  /** Directory part, kept as written (`"dir/sub/"` or `""`). */
  moduleRoot: string;
  /** File name without extension. */
  moduleName: string;
  /** Property path inside the module (`"nested.fn"`). */
  handlerPath: string;
}

/** Split `dir/module.a.b`; throws `Runtime.MalformedHandlerName` on `..` or a missing dot. */
export function parseHandlerString(full: string): HandlerName {
  if (full.includes('..')) {
    throw new MalformedHandlerName(
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const last = basename(full);
  const moduleRoot = full.substring(0, full.lastIndexOf(last));
  const match = /^([^.]*)\.(.*)$/s.exec(last);
  if (!match) throw new MalformedHandlerName('Bad handler');
  return { moduleRoot, moduleName: match[1]!, handlerPath: match[2]! };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether `.js` files in `folder` are ES modules: the nearest package.json decides, node_modules stops the search. */
export function folderIsTypeModule(folder: string): boolean {
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    if (dir.endsWith('/node_modules')) return false;
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const parsed = JSON.parse(readFileSync(pj, 'utf8')) as { type?: unknown } | null;
        if (parsed) return parsed.type === 'module';
      } catch (err) {
        console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, err);
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

const requireFromHere = createRequire(import.meta.url);

async function importFile(path: string): Promise<unknown> {
  return import(pathToFileURL(path).href);
}

async function loadModuleFile(taskRoot: string, name: HandlerName): Promise<unknown> {
  const base = resolve(taskRoot, name.moduleRoot, name.moduleName);
  if (isFile(base)) return requireFromHere(base);
  const js = base + '.js';
  if (isFile(js)) return folderIsTypeModule(dirname(js)) ? importFile(js) : requireFromHere(js);
  if (isFile(base + '.mjs')) return importFile(base + '.mjs');
  if (isFile(base + '.cjs')) return requireFromHere(base + '.cjs');
  // A package name: Node's resolution from the task root (and NODE_PATH).
  const resolved = requireFromHere.resolve(name.moduleName, { paths: [taskRoot, join(taskRoot, name.moduleRoot)] });
  try {
    return requireFromHere(resolved);
  } catch (err) {
    // A package that is an ES module cannot be required on older Node versions: import it.
    if ((err as { code?: unknown }).code === 'ERR_REQUIRE_ESM') return importFile(resolved);
    throw err;
  }
}

function walk(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Look the function up on the module, then on its default export (ES modules that export an object). */
export function resolveHandler(module: unknown, name: HandlerName, full: string): AnyHandler {
  let fn = walk(module, name.handlerPath);
  if (fn === undefined || fn === null) {
    const def = (module as { default?: unknown } | null | undefined)?.default;
    if (def !== undefined && def !== null && def !== module) fn = walk(def, name.handlerPath);
  }
  if (fn === undefined || fn === null || (fn as unknown) === false) throw new HandlerNotFound(`${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${full} is not a function`);
  return fn as AnyHandler;
}

export function handlerMetadata(fn: AnyHandler): HandlerMetadata {
  const marks = fn as unknown as Record<symbol, unknown>;
  const mode = marks[HANDLER_STREAMING];
  let streaming = false;
  if (mode !== undefined && mode !== null && mode !== false) {
    if (mode !== STREAM_RESPONSE) throw new MalformedStreamingHandler('Only response streaming is supported.');
    streaming = true;
  }
  const hwm = Number.parseInt(String(marks[HANDLER_HIGHWATERMARK]), 10);
  return {
    streaming,
    highWaterMark: Number.isNaN(hwm) ? undefined : hwm,
    isAsync: fn.constructor?.name === 'AsyncFunction',
    argsNum: fn.length,
  };
}

/** The major version of the Node.js running this process. */
export const NODE_MAJOR = Number.parseInt(process.versions.node, 10);

/**
 * Callback-style handlers: refused from Node.js 24 on (`Runtime.CallbackHandlerDeprecated`),
 * accepted with Lambda's deprecation warning before that.
 */
export function checkCallbackStyle(metadata: HandlerMetadata, nodeMajor = NODE_MAJOR, env: NodeJS.ProcessEnv = process.env): void {
  if (metadata.streaming) return;
  if (nodeMajor >= 24) {
    if (metadata.argsNum >= 3) throw new CallbackHandlerDeprecated();
    return;
  }
  if (metadata.argsNum === 3 && !metadata.isAsync && env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined) {
    console.warn(
      'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. ' +
        'You will need to update this function to use an async handler to use Node.js 24 or later. ' +
        'To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.',
    );
  }
}

/**
 * Load the user's handler. Throws Lambda's init errors: `Runtime.MalformedHandlerName`,
 * `Runtime.ImportModuleError`, `Runtime.UserCodeSyntaxError`, `Runtime.HandlerNotFound`,
 * `Runtime.MalformedStreamingHandler`; anything the module throws at load time passes through.
 */
export async function loadHandler(taskRoot: string, handlerString: string): Promise<LoadedHandler> {
  const name = parseHandlerString(handlerString);
  let module: unknown;
  try {
    module = await loadModuleFile(taskRoot, name);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UserCodeSyntaxError(err);
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw new ImportModuleError(err);
    throw err;
  }
  const handler = resolveHandler(module, name, handlerString);
  return { handler, metadata: handlerMetadata(handler) };
}
