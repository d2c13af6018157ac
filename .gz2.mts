import { gzip, gunzip } from "./worker/storage/gzip.ts";
const big = new Uint8Array(5_000_000); for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
const z = await gzip(big); const back = await gunzip(z);
console.log(z.length, back.length, Buffer.compare(Buffer.from(back), Buffer.from(big)));
console.log((await gunzip(await gzip(new Uint8Array()))).length);
try { await gunzip(new Uint8Array([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20])); console.log("no error?"); } catch (e) { console.log("error ok", (e as Error).message); }
