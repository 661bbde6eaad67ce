// Loaded with `node --import` before the built main bundle: maps `electron` to the stub, and (when
// STUB_NO_ADDON=1) makes better-sqlite3 unloadable, as in the packaged app, which leaves it out.
import Module from 'node:module';
import { register } from 'node:module';

register(new URL('./loader.mjs', import.meta.url));

if (process.env.STUB_NO_ADDON === '1') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'better-sqlite3') {
      const err = new Error("Cannot find module 'better-sqlite3' (left out of the Electron app)");
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    return resolve.call(this, request, ...rest);
  };
}
