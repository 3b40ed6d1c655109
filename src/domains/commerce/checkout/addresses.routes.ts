import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSubject } from '../../../platform/http.js';
import { Address } from '../routes.js';
import { addressBook, type AddressBookService } from './address.js';
import type { Database } from '../../../platform/db.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const EntryBody = Type.Object({ ...Address.properties, label: Type.Optional(Type.String({ maxLength: 40, description: 'e.g. Rumah, Kantor' })) });
const Entry = Type.Object({
  id: Type.String(),
  label: Type.String(),
  ...Address.properties,
  isDefault: Type.Boolean(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});

/** The buyer's address book: several addresses, one default; checkout picks from it. */
export function addressRoutes(db: Database, book: AddressBookService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/commerce/addresses',
      { schema: { tags, summary: 'Your address book, the default first', response: { 200: Type.Object({ items: Type.Array(Entry) }), 401: Problem } } },
      async (request) => ({ items: await addressBook(db, requireSubject(request)) }),
    );
    app.post(
      '/commerce/addresses',
      {
        schema: {
          tags,
          summary: 'Add an address (the first one, or with isDefault, becomes the default; at most 20)',
          body: Type.Object({ ...EntryBody.properties, isDefault: Type.Optional(Type.Boolean()) }),
          response: { 201: Entry, 400: Problem, 401: Problem, 409: Problem, 422: Problem },
        },
      },
      async (request, reply) => reply.code(201).send(await book.add(requireSubject(request), request.body)),
    );
    app.put(
      '/commerce/addresses/:id',
      { schema: { tags, summary: 'Change an address', params: IdParams, body: EntryBody, response: { 200: Entry, 400: Problem, 401: Problem, 404: Problem, 409: Problem } } },
      async (request) => book.update(requireSubject(request), request.params.id, request.body),
    );
    app.put(
      '/commerce/addresses/:id/default',
      { schema: { tags, summary: 'Make an address the default', params: IdParams, response: { 200: Entry, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => book.makeDefault(requireSubject(request), request.params.id),
    );
    app.delete(
      '/commerce/addresses/:id',
      { schema: { tags, summary: 'Delete an address (orders keep theirs; the one used last becomes the default)', params: IdParams, response: { 204: Type.Null(), 400: Problem, 401: Problem, 404: Problem } } },
      async (request, reply) => {
        await book.remove(requireSubject(request), request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
}
