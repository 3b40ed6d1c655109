import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem } from '../../platform/errors.js';
import { requireSubject } from '../../platform/http.js';
import { MAX_PICTURE_BYTES, PICTURE_TYPES } from '../../platform/pictures.js';
import type { ReviewService } from './reviews.js';
import { MAX_REVIEW_PHOTOS, type ReviewPhotos } from './review-photos.js';
import { ReviewSchema } from './routes.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Review photos (the buyer's) and the shop's public reply to a review. */
export function reviewRoutes(reviews: ReviewService, photos: ReviewPhotos): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser([...PICTURE_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PICTURE_BYTES }, (_request, body, done) => done(null, body));

    app.post(
      '/commerce/reviews/:id/photos',
      {
        schema: {
          tags,
          summary: `Add a photo to your review (the JPEG, PNG or WebP bytes as the body; at most ${MAX_REVIEW_PHOTOS})`,
          description: 'Checked to be a picture by its content, then re-encoded (no metadata) and scaled to at most 1280 px.',
          params: IdParams,
          consumes: [...PICTURE_TYPES],
          response: {
            201: Type.Object({ photoUrls: Type.Array(Type.String()) }), 400: Problem, 401: Problem, 404: Problem, 413: Problem, 415: Problem,
            422: Problem,
          },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the photo with Content-Type image/jpeg, image/png or image/webp.');
        const photoUrls = await photos.add(subject, request.params.id, String(request.headers['content-type'] ?? ''), request.body);
        return reply.code(201).send({ photoUrls });
      },
    );

    app.get(
      '/commerce/review-photos/:file',
      {
        schema: {
          tags,
          summary: 'A review photo',
          params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.jpg$' }) }),
          response: { 400: Problem, 404: Problem },
        },
      },
      async (request, reply) => reply.type('image/jpeg').header('cache-control', 'public, max-age=31536000, immutable').send(photos.open(request.params.file)),
    );

    app.put(
      '/commerce/reviews/:id/reply',
      {
        schema: {
          tags,
          summary: 'The shop’s public reply to a review of its product (one per review; putting again edits it)',
          params: IdParams,
          body: Type.Object({ text: Type.String({ maxLength: 1000 }) }),
          response: { 200: ReviewSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => reviews.reply(requireSubject(request), request.params.id, request.body),
    );
  };
}
