import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeenFilter } from './bloom.js';
import { uuidv7 } from '../../../platform/ids.js';

describe('SeenFilter', () => {
  it('never forgets an id it was given, also after a round trip through the cursor', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uuid(), fc.constant(uuidv7()), fc.string()), { minLength: 1, maxLength: 300 }), (ids) => {
        const filter = SeenFilter.empty();
        ids.forEach((id) => filter.add(id));
        const decoded = SeenFilter.decode(filter.encode())!;
        return ids.every((id) => filter.has(id) && decoded.has(id));
      }),
    );
  });

  it('rarely claims to have seen what it has not', () => {
    const filter = SeenFilter.empty();
    for (let i = 0; i < 200; i++) filter.add(uuidv7());
    const falsePositives = Array.from({ length: 2000 }, () => uuidv7()).filter((id) => filter.has(id)).length;
    expect(falsePositives / 2000).toBeLessThan(0.01);
  });
});
