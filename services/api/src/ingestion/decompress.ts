import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/errors.ts';

/**
 * Accepts `Content-Encoding: gzip | deflate` request bodies (server libraries compress batches).
 * Fastify's body limit then applies to the decompressed bytes, so a small bomb cannot grow
 * past it.
 */
export function acceptCompressedBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      throw new HttpError(415, 'unsupported_encoding', `Content-Encoding ${encoding} is not supported: use gzip, deflate or none`);
    }
    delete request.headers['content-length'];
    const inflate = encoding === 'gzip' ? createGunzip() : createInflate();
    inflate.on('error', () => {});
    payload.on('error', (error) => inflate.destroy(error));
    const stream = payload.pipe(inflate);
    // zlib errors (a corrupt body) surface while Fastify reads the stream: make them a clear 400.
    stream.once('error', (error) => {
      Object.assign(error, { statusCode: 400, code: 'invalid_body_encoding', message: `body is not valid ${encoding}: ${error.message}` });
    });
    return stream;
  });
}
