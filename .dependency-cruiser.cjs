/** The partition, enforced: a domain imports only platform, contracts and itself. */
const DOMAINS = ['identity', 'social', 'commerce', 'bridge'];

module.exports = {
  forbidden: [
    ...DOMAINS.map((domain) => ({
      name: `${domain}-stays-in-its-lane`,
      comment: `${domain} may import only platform, contracts and its own files (tests may also use the composition root)`,
      severity: 'error',
      from: { path: `^src/domains/${domain}/` },
      to: {
        path: '^src/',
        pathNot: [`^src/domains/${domain}/`, '^src/platform/', '^src/contracts/', '^src/server/'],
      },
    })),
    {
      name: 'only-tests-touch-the-composition-root',
      comment: 'domain code never reaches into the server; only its tests may build the whole app',
      severity: 'error',
      from: { path: '^src/domains/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/server/' },
    },
    {
      name: 'server-enters-a-domain-by-its-index',
      comment: 'the composition root sees a domain only through its index.ts: what the domain exports there is its whole surface',
      severity: 'error',
      from: { path: '^src/server/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/domains/[^/]+/', pathNot: '^src/domains/[^/]+/index\\.ts$' },
    },
    {
      name: 'platform-and-contracts-know-no-domain',
      severity: 'error',
      from: { path: '^src/(platform|contracts)/' },
      to: { path: '^src/(domains|server)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: 'node_modules' },
  },
};
