import { describe, expect, it } from 'vitest';
import { textProblem, type TextKind } from './text.js';

const ZWSP = '\u200b';
const RLO = '\u202e';

describe('the text rules', () => {
  it.each<[TextKind, string]>([
    ['display-name', 'Sari Wulandari'],
    ['display-name', 'Rina 🙂'],
    ['title', 'Kemeja Batik Parang — ukuran L'],
    ['free-text', 'Baris satu\nbaris dua\tdan emoji keluarga 👨‍👩‍👧 dan bendera 🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['handle', 'Sari.w'],
    ['email', '  Sari@Contoh.ID '],
  ])('takes %s %j', (kind, value) => {
    expect(textProblem(kind, value)).toBeUndefined();
  });

  it.each<[TextKind, string]>([
    ['display-name', `Ad${ZWSP}min`],
    ['display-name', `${RLO}nimda`],
    ['display-name', 'dua\nbaris'],
    ['title', `Kemeja${RLO}gpj.exe`],
    ['title', 'Kaos\u2066Polos'],
    ['free-text', `komentar${ZWSP}`],
    ['free-text', `arah ${RLO}terbalik`],
    ['free-text', 'bel \u0007'],
    ['free-text', '\ufeffBOM'],
    ['handle', `sari${ZWSP}w`],
    ['handle', 'ab'],
    ['email', `sari${ZWSP}@contoh.id`],
    ['email', `sari@contoh${RLO}.id`],
    ['email', 'bukan-email'],
    ['email', `${'a'.repeat(64)}@${'b'.repeat(190)}.id`],
  ])('refuses %s %j', (kind, value) => {
    expect(textProblem(kind, value)).toEqual(expect.any(String));
  });
});
