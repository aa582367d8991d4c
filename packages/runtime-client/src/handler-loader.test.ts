import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { streamifyResponse } from './awslambda.js';
import { CallbackHandlerDeprecated, HandlerNotFound, ImportModuleError, MalformedHandlerName, MalformedStreamingHandler, UserCodeSyntaxError } from './errors.js';
import { HANDLER_STREAMING, checkCallbackStyle, folderIsTypeModule, handlerMetadata, loadHandler, parseHandlerString } from './handler-loader.js';

const root = mkdtempSync(join(tmpdir(), 'lambdock-loader-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Write files under a fresh task root; a package.json type commonjs stops the search for "type" at the root. */
function taskRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'task-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('parseHandlerString', () => {
  test('splits directory, module and nested property path', () => {
    assert.deepEqual(parseHandlerString('index.handler'), { moduleRoot: '', moduleName: 'index', handlerPath: 'handler' });
    assert.deepEqual(parseHandlerString('src/lib/app.a.b.c'), { moduleRoot: 'src/lib/', moduleName: 'app', handlerPath: 'a.b.c' });
    assert.deepEqual(parseHandlerString('x.h/x.h'), { moduleRoot: 'x.h/', moduleName: 'x', handlerPath: 'h' });
  });

  test('refuses names without a dot and names with ..', () => {
    assert.throws(() => parseHandlerString('nodot'), (e: unknown) => e instanceof MalformedHandlerName && e.message === 'Bad handler' && e.name === 'Runtime.MalformedHandlerName');
    assert.throws(() => parseHandlerString(''), MalformedHandlerName);
    assert.throws(() => parseHandlerString('../etc/passwd.x'), /is not a valid handler name/);
    assert.throws(() => parseHandlerString('a/..b.c'), MalformedHandlerName);
  });
});

describe('folderIsTypeModule', () => {
  test('nearest package.json decides; node_modules stops the search', () => {
    const dir = taskRoot({ 'esm/package.json': '{"type":"module"}', 'esm/sub/x.js': '', 'esm/node_modules/p/x.js': '' });
    assert.equal(folderIsTypeModule(dir), false);
    assert.equal(folderIsTypeModule(join(dir, 'esm')), true);
    assert.equal(folderIsTypeModule(join(dir, 'esm/sub')), true);
    assert.equal(folderIsTypeModule(join(dir, 'esm/node_modules/p')), false);
  });
});

describe('loadHandler', () => {
  test('an extensionless file is loaded as CommonJS', async () => {
    const dir = taskRoot({ app: 'exports.handler = async () => "extensionless";' });
    const { handler } = await loadHandler(dir, 'app.handler');
    assert.equal(await handler(), 'extensionless');
  });

  test('a directory named like the module does not shadow module.js', async () => {
    const dir = taskRoot({ 'app/readme.txt': 'not code', 'app.js': 'exports.handler = async () => "file wins";' });
    const { handler } = await loadHandler(dir, 'app.handler');
    assert.equal(await handler(), 'file wins');
  });

  test('.js before .mjs before .cjs', async () => {
    const dir = taskRoot({ 'm.js': 'exports.h = () => "js";', 'm.mjs': 'export const h = () => "mjs";', 'm.cjs': 'exports.h = () => "cjs";' });
    assert.equal((await loadHandler(dir, 'm.h')).handler(), 'js');
    const dir2 = taskRoot({ 'm.mjs': 'export const h = () => "mjs";', 'm.cjs': 'exports.h = () => "cjs";' });
    assert.equal((await loadHandler(dir2, 'm.h')).handler(), 'mjs');
  });

  test('packages in node_modules are found by node resolution, CommonJS or ES module', async () => {
    const dir = taskRoot({
      'node_modules/cjs-pkg/package.json': '{"name":"cjs-pkg","main":"main.js"}',
      'node_modules/cjs-pkg/main.js': 'exports.handler = async () => "from cjs package";',
      'node_modules/esm-pkg/package.json': '{"name":"esm-pkg","type":"module","main":"main.js"}',
      'node_modules/esm-pkg/main.js': 'export const handler = async () => "from esm package";',
    });
    assert.equal(await (await loadHandler(dir, 'cjs-pkg.handler')).handler(), 'from cjs package');
    assert.equal(await (await loadHandler(dir, 'esm-pkg.handler')).handler(), 'from esm package');
  });

  test('Lambda error types for load failures', async () => {
    const dir = taskRoot({
      'ok.js': 'exports.handler = () => 1; exports.value = 7;',
      'broken.js': 'exports.handler = (',
      'needs.js': 'require("no-such-package-xyz");',
      'throws.js': 'throw new RangeError("top-level failure");',
    });
    await assert.rejects(loadHandler(dir, 'ok.missing'), (e: unknown) => e instanceof HandlerNotFound && e.message === 'ok.missing is undefined or not exported');
    await assert.rejects(loadHandler(dir, 'ok.value'), (e: unknown) => e instanceof HandlerNotFound && e.message === 'ok.value is not a function');
    await assert.rejects(loadHandler(dir, 'broken.handler'), (e: unknown) => e instanceof UserCodeSyntaxError && e.message.startsWith('SyntaxError:'));
    await assert.rejects(loadHandler(dir, 'needs.handler'), (e: unknown) => e instanceof ImportModuleError && e.message.includes("Cannot find module 'no-such-package-xyz'"));
    await assert.rejects(loadHandler(dir, 'absent.handler'), (e: unknown) => e instanceof ImportModuleError && e.name === 'Runtime.ImportModuleError');
    await assert.rejects(loadHandler(dir, 'throws.handler'), (e: unknown) => e instanceof RangeError && e.message === 'top-level failure');
  });
});

describe('handler metadata', () => {
  test('streaming mark, high water mark, async and arity', () => {
    const h = streamifyResponse(async (_e: unknown, _s: unknown, _c: unknown) => undefined, { highWaterMark: 1024 });
    assert.deepEqual(handlerMetadata(h), { streaming: true, highWaterMark: 1024, isAsync: true, argsNum: 3 });
    assert.deepEqual(handlerMetadata(function (_e: unknown) {}), { streaming: false, highWaterMark: undefined, isAsync: false, argsNum: 1 });
    const odd = Object.assign(() => 1, { [HANDLER_STREAMING]: 'request' });
    assert.throws(() => handlerMetadata(odd), MalformedStreamingHandler);
  });

  test('callback handlers: refused from Node.js 24, warned before', () => {
    const callbackStyle = handlerMetadata((_e: unknown, _c: unknown, _cb: unknown) => undefined);
    assert.throws(() => checkCallbackStyle(callbackStyle, 24, {}), (e: unknown) => e instanceof CallbackHandlerDeprecated && e.name === 'Runtime.CallbackHandlerDeprecated');
    assert.throws(() => checkCallbackStyle(handlerMetadata(async (_e: unknown, _c: unknown, _cb: unknown) => undefined), 26, {}), CallbackHandlerDeprecated);
    assert.doesNotThrow(() => checkCallbackStyle(handlerMetadata(async (_e: unknown, _c: unknown) => undefined), 24, {}));
    assert.doesNotThrow(() => checkCallbackStyle(handlerMetadata(streamifyResponse(async (_e: unknown, _s: unknown, _c: unknown) => undefined)), 24, {}));
    const warnings: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      checkCallbackStyle(callbackStyle, 22, {});
      checkCallbackStyle(callbackStyle, 22, { AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING: '1' });
    } finally {
      console.warn = original;
    }
    assert.equal(warnings.length, 1);
  });
});
