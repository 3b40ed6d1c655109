import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { conflict } from '../../../platform/errors.js';
import { requireSubject } from '../../../platform/http.js';
import type { BiteshipSandbox } from './biteship-sandbox.js';
import type { ShipmentService } from './shipments.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');

/** The courier's webhook and, on the embedded sandbox, a way to move a parcel along. */
export function shippingRoutes(shipments: ShipmentService, sandbox: BiteshipSandbox | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    if (sandbox) {
      app.post(
        '/commerce/orders/:id/courier/simulate',
        {
          schema: {
            tags,
            summary: 'Sandbox courier only: move the parcel to a stage; the sandbox sends Biteship `order.status` webhooks through the same path a real courier would',
            params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
            body: Type.Object({ stage: Type.Union(['picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'returning', 'returned'].map((s) => Type.Literal(s))) }),
            response: { 200: Type.Object({ moved: Type.Boolean() }), 400: Problem, 401: Problem, 404: Problem, 409: Problem },
          },
        },
        async (request) => {
          const trackingId = await shipments.trackingIdFor(requireSubject(request), request.params.id);
          const moved = await sandbox.advance(trackingId, request.body.stage as never);
          if (!moved) throw conflict('The parcel cannot go there from where it is.', undefined, 'courier-stage');
          return { moved };
        },
      );
    }

    // The courier's secret header is checked over the raw request; the body is read as text.
    await app.register(async (raw) => {
      raw.removeContentTypeParser('application/json');
      raw.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
      raw.post(
        '/commerce/shipping/webhooks/biteship',
        {
          schema: {
            tags,
            summary: 'Biteship `order.status` webhooks: the secret header is checked, then the parcel’s history is read back from the tracking API and moves the order forward only',
            response: { 200: Type.Object({ applied: Type.Boolean() }), 400: Problem, 401: Problem, 404: Problem, 413: Problem, 503: Problem },
          },
        },
        async (request) => shipments.receiveWebhook(typeof request.body === 'string' ? request.body : '', request.headers),
      );
    });
  };
}
