import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, schemaSource } from '../scripts/gen-api.js';
import { useSekat } from './support/sekat.js';
import { STORE_LABEL } from '../src/platform/testing.js';

describe(`the web's API types (${STORE_LABEL})`, () => {
  const t = useSekat();

  it('are what `npm run gen:api` makes from the OpenAPI document today', async () => {
    await t.sekat.app.ready();
    const fresh = await schemaSource(t.sekat.app.swagger());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    // One line, not a 20 000-line diff: regenerate rather than read it.
    expect(committed === fresh, 'web/src/api/schema.gen.ts is stale: run `npm run gen:api` and commit it').toBe(true);
  });
});
