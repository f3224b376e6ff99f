// Fetch a URL the way a Node program using https.get would. Trust comes from
// Node's own bundle plus NODE_EXTRA_CA_CERTS.
//
// usage: node probe.js URL ADDR
// Every host name resolves to ADDR. Exit 0 with the page on stdout when the
// certificate is trusted; exit 3 with "REJECT code: message" when certificate
// verification fails; any other failure exits 1.
'use strict';
const https = require('https');

const [url, addr] = process.argv.slice(2);

function lookup(host, opts, cb) {
  if (opts && opts.all) {
    cb(null, [{address: addr, family: 4}]);
  } else {
    cb(null, addr, 4);
  }
}

// Errors that say the connection failed, not that the certificate did.
const transport = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND',
  'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
]);

function isVerifyError(err) {
  if (!err.code || transport.has(err.code)) {
    return false;
  }
  // OpenSSL's verify errors arrive under their X509_V_ERR names without a
  // prefix; Node's own ERR_ codes are not verdicts, bar the name check.
  return !err.code.startsWith('ERR_') || err.code === 'ERR_TLS_CERT_ALTNAME_INVALID';
}

const req = https.get(url, {lookup, agent: false, timeout: 30000}, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => { body += d; });
  res.on('end', () => { process.stdout.write(body); });
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  if (isVerifyError(err)) {
    console.log(`REJECT ${err.code}: ${err.message}`);
    process.exit(3);
  }
  console.error(err);
  process.exit(1);
});
