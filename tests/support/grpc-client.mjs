// grpc-client.mjs - an independent gRPC health client for the tests and the
// bench: @grpc/grpc-js with the grpc.health.v1.Health definition that
// grpc-health-check ships (the official health.proto, List included).
//
//   node grpc-client.mjs check PORT SERVICE [DEADLINE_MS]
//       one Check; prints {"code": N, "details": "...", "status": "SERVING"}
//   node grpc-client.mjs probe PORT SERVICE
//       what a kubelet's gRPC probe does: Check with a 1 s deadline; exit 0
//       when SERVING, 1 otherwise (prints the status or the error code)
//   node grpc-client.mjs list PORT
//       one List; prints {"code": N, "statuses": {name: status}}
//   node grpc-client.mjs watch PORT SERVICE COUNT TIMEOUT_MS
//       one Watch; prints each status as a line as it comes ("SERVING"),
//       then "end CODE DETAILS" when the stream ends, or "timeout" after
//       COUNT statuses or TIMEOUT_MS
//   node grpc-client.mjs serve PORT
//       the reference server for the bench: grpc-health-check's own
//       HealthImplementation, "" SERVING; prints the port
//   node grpc-client.mjs bench PORT SERVICE SECONDS CONCURRENCY
//       Check calls in a loop for SECONDS; prints {"calls": N, "errors": E}
//
// Add "--tls CAFILE" after the command's arguments to connect with TLS.
import grpc from '@grpc/grpc-js';
import health from 'grpc-health-check';
import { readFileSync } from 'node:fs';

const Health = grpc.makeGenericClientConstructor(health.service, 'Health');
const args = process.argv.slice(2);
const tls = args.indexOf('--tls');
const creds = tls >= 0
  ? grpc.credentials.createSsl(readFileSync(args.splice(tls, 2)[1]))
  : grpc.credentials.createInsecure();
const [cmd, port, ...rest] = args;

function client() {
  return new Health(`127.0.0.1:${port}`, creds);
}

function deadline(ms) {
  return new Date(Date.now() + ms);
}

function check(service, ms) {
  const c = client();
  c.Check({ service }, { deadline: deadline(ms) }, (err, res) => {
    console.log(JSON.stringify(err
      ? { code: err.code, details: err.details }
      : { code: 0, status: res.status }));
    c.close();
  });
}

function probe(service) {
  const c = client();
  c.Check({ service }, { deadline: deadline(1000) }, (err, res) => {
    console.log(err ? `error ${err.code}` : res.status);
    c.close();
    process.exitCode = !err && res.status === 'SERVING' ? 0 : 1;
  });
}

function list() {
  const c = client();
  c.List({}, { deadline: deadline(2000) }, (err, res) => {
    if (err) {
      console.log(JSON.stringify({ code: err.code, details: err.details }));
    } else {
      const statuses = {};
      for (const [k, v] of Object.entries(res.statuses)) statuses[k] = v.status;
      console.log(JSON.stringify({ code: 0, statuses }));
    }
    c.close();
  });
}

function watch(service, count, ms) {
  const c = client();
  const call = c.Watch({ service });
  let seen = 0;
  const timer = setTimeout(() => {
    console.log('timeout');
    call.cancel();
    c.close();
    process.exit(0);
  }, ms);
  call.on('data', (res) => {
    console.log(res.status);
    if (++seen >= count) {
      clearTimeout(timer);
      call.cancel();
      c.close();
      process.exit(0);
    }
  });
  call.on('error', (err) => {
    console.log(`end ${err.code} ${err.details}`);
    clearTimeout(timer);
    c.close();
  });
  call.on('end', () => {});
}

function serve() {
  const server = new grpc.Server();
  new health.HealthImplementation({ '': 'SERVING' }).addToServer(server);
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(),
    (err, bound) => {
      if (err) throw err;
      console.log(bound);
    });
}

function bench(service, seconds, concurrency) {
  const c = client();
  const until = Date.now() + seconds * 1000;
  let calls = 0, errors = 0, running = concurrency;
  const one = () => {
    if (Date.now() >= until) {
      if (--running === 0) {
        console.log(JSON.stringify({ calls, errors }));
        c.close();
      }
      return;
    }
    c.Check({ service }, { deadline: deadline(2000) }, (err) => {
      calls++;
      if (err) errors++;
      one();
    });
  };
  for (let i = 0; i < concurrency; i++) one();
}

switch (cmd) {
  case 'check': check(rest[0], Number(rest[1] || 2000)); break;
  case 'probe': probe(rest[0]); break;
  case 'list': list(); break;
  case 'watch': watch(rest[0], Number(rest[1]), Number(rest[2])); break;
  case 'serve': serve(); break;
  case 'bench': bench(rest[0], Number(rest[1]), Number(rest[2])); break;
  default:
    console.error('usage: grpc-client.mjs check|probe|list|watch|serve|bench PORT ...');
    process.exit(2);
}
