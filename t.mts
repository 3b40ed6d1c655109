import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
let t = performance.now();
const lap = (l: string) => { const n = performance.now(); console.log(l, Math.round(n - t)); t = n; };
const a = await PGlite.create({ extensions: { pg_trgm } }); lap('fresh1');
await a.exec('create extension if not exists pg_trgm; create table x(a int)'); lap('ext');
const dump = await a.dumpDataDir('none'); lap('dump ' + dump.size);
await a.close();
const b = await PGlite.create({ extensions: { pg_trgm } }); lap('fresh2');
await b.close();
for (let i = 0; i < 3; i++) { const c = await PGlite.create({ extensions: { pg_trgm }, loadDataDir: dump }); lap('fromdump'); await c.query('select * from x'); await c.close(); }
