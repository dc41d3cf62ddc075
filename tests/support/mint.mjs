// mint.mjs - mints JWTs and public JWKs with jose (a standard JOSE
// implementation), so that the bearer tests never verify only tokens they
// built by hand.
//
//   node mint.mjs <RS256|ES256|HS256|none> <keyfile> <claims-json> [kid]
//                 [typ]
//       prints a compact JWS. keyfile: a PKCS#8 PEM private key (openssl
//       genpkey) for RS256/ES256; for HS256 its bytes, exactly as stored,
//       are the secret; ignored for none (an unsecured JWT). kid "" is
//       none; typ defaults to JWT (RFC 9068 access tokens say at+jwt).
//   node mint.mjs jwk <public-key.pem> <kid> <RS256|ES256> [noalg]
//       prints the public key as a JWK with kid, use "sig" and alg (left
//       out with noalg, as some identity providers do).
//
// Errors go to stderr with exit status 1: the test fails loudly rather than
// running with a token it did not mean to make.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  SignJWT, UnsecuredJWT, exportJWK, importPKCS8, importSPKI,
} from 'jose';

function usage() {
  throw new Error('usage: mint.mjs <alg> <keyfile> <claims-json> [kid]'
    + ' | mint.mjs jwk <public.pem> <kid> <alg> [noalg] | mint.mjs serve');
}

async function main(argv) {
  if (argv.length < 3)
    usage();
  const [alg, keyfile, third, fourth, fifth] = argv;

  if (alg === 'jwk') {
    if (!fourth)
      usage();
    // extractable: exportJWK needs to read the key material back.
    const pub = await importSPKI(readFileSync(keyfile, 'utf8'), fourth,
      { extractable: true });
    const jwk = await exportJWK(pub);
    jwk.kid = third;
    jwk.use = 'sig';
    if (fifth !== 'noalg')
      jwk.alg = fourth;
    return JSON.stringify(jwk);
  }

  const claims = JSON.parse(third);
  if (alg === 'none')
    return new UnsecuredJWT(claims).encode();

  let key;
  if (alg === 'HS256')
    key = new Uint8Array(readFileSync(keyfile));
  else if (alg === 'RS256' || alg === 'ES256')
    key = await importPKCS8(readFileSync(keyfile, 'utf8'), alg);
  else
    usage();
  const header = { alg, typ: fifth || 'JWT' };
  if (fourth)
    header.kid = fourth;
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function serve() {
  const lines = createInterface({ input: process.stdin, terminal: false });

  for await (const line of lines) {
    let out;
    try {
      out = await main(JSON.parse(line));
    } catch (err) {
      out = `!${err.message}`.replace(/\n/g, ' ');
    }
    process.stdout.write(out + '\n');
  }
}

if (process.argv[2] === 'serve') {
  await serve();
} else {
  main(process.argv.slice(2)).then(
    (out) => { process.stdout.write(out + '\n'); },
    (err) => {
      process.stderr.write(`mint.mjs: ${err.message}\n`);
      process.exit(1);
    },
  );
}
