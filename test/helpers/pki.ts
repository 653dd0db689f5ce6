import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway PKI made with the system's `openssl` at test time (elliptic-curve keys: fast):
 *
 *   root ─┬─ inter ─┬─ server (127.0.0.1, localhost)
 *         │         ├─ bouncer (OU bouncer-ou, CN fw01)    agent (OU agent-ou, CN web01)
 *         │         ├─ bouncer_rev, agent_rev               revoked by inter's CRL
 *         │         ├─ expired, future                      bouncer-ou, out of their dates
 *         │         ├─ wrong_ou (OU other-ou), multi_ou (OU other-ou + bouncer-ou)
 *         │         └─ ocsp_* (when `ocspUrl` is given)     name that OCSP responder
 *         ├─ inter_rev ── leaf_inter_rev                    inter_rev revoked by root's CRL
 *         └─ by_root                                        a bouncer-ou leaf signed by the root itself,
 *                                                           with the serial of bouncer_rev
 *   rogue ─┬─ rogue_leaf                                    a CA nobody trusts
 *          └─ fake_inter                                    inter's name and key id on a rogue key;
 *                                                           bouncer_rev_forged-chain.pem sends it
 *
 * Files: `<name>.pem` (the certificate), `<name>-key.pem`, `<name>-chain.pem` (the leaf and its
 * intermediate, what a client sends), `root.pem`, `inter.pem`, `bundle.pem` (root + inter),
 * `crl.pem` (inter's CRL then root's), `server-chain.pem`.
 */
export interface Pki {
  dir: string;
  path(name: string): string;
  read(name: string): Buffer;
  /** Revokes `name` (issued by `ca`) and rewrites `crl.pem`. */
  revoke(name: string, ca?: 'inter' | 'root'): void;
}

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const CNF = (dir: string, ocspUrl: string | undefined) => `
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca.pem
private_key = $dir/ca-key.pem
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
preserve = yes
[ policy_any ]
organizationalUnitName = optional
commonName = supplied
[ client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ client_ocsp ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityInfoAccess = OCSP;URI:${ocspUrl ?? 'http://127.0.0.1:1'}
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[ ocsp_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
`;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function makePki(dir: string, opts: { ocspUrl?: string } = {}): Pki {
  const p = (name: string) => join(dir, name);
  const key = (name: string) =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(`${name}-key.pem`)], dir);
  const caDir = (name: string) => {
    mkdirSync(p(`${name}/newcerts`), { recursive: true });
    writeFileSync(p(`${name}/index.txt`), '');
    writeFileSync(p(`${name}/serial`), '1000\n');
    writeFileSync(p(`${name}/crlnumber`), '01\n');
    writeFileSync(p(`${name}/ca.cnf`), CNF(p(name), opts.ocspUrl));
  };
  /** Signs `name` with CA `ca`, using the extension section `ext`; dates as YYYYMMDDHHMMSSZ. */
  const sign = (name: string, subj: string, ca: string, ext: string, dates?: [string, string]) => {
    key(name);
    openssl(['req', '-new', '-key', p(`${name}-key.pem`), '-subj', subj, '-out', p(`${name}.csr`)], dir);
    const d = dates ? ['-startdate', dates[0], '-enddate', dates[1]] : [];
    openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        p(`${ca}/ca.cnf`),
        '-extensions',
        ext,
        '-in',
        p(`${name}.csr`),
        '-out',
        p(`${name}.pem`),
        ...d,
      ],
      dir,
    );
    if (ext === 'ca_ext') {
      caDir(name);
      execFileSync('cp', [p(`${name}.pem`), p(`${name}/ca.pem`)]);
      execFileSync('cp', [p(`${name}-key.pem`), p(`${name}/ca-key.pem`)]);
    }
    const issuerChain = ca === 'root' ? '' : readFileSync(p(`${ca}.pem`), 'utf8');
    writeFileSync(p(`${name}-chain.pem`), readFileSync(p(`${name}.pem`), 'utf8') + issuerChain);
  };
  const selfSigned = (name: string, cn: string) => {
    caDir(name);
    key(name);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        p(`${name}-key.pem`),
        '-out',
        p(`${name}.pem`),
        '-days',
        '3650',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'basicConstraints=critical,CA:true',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    execFileSync('cp', [p(`${name}.pem`), p(`${name}/ca.pem`)]);
    execFileSync('cp', [p(`${name}-key.pem`), p(`${name}/ca-key.pem`)]);
  };
  const gencrl = () => {
    openssl(['ca', '-gencrl', '-config', p('inter/ca.cnf'), '-out', p('inter.crl')], dir);
    openssl(['ca', '-gencrl', '-config', p('root/ca.cnf'), '-out', p('root.crl')], dir);
    writeFileSync(p('crl.pem'), readFileSync(p('inter.crl'), 'utf8') + readFileSync(p('root.crl'), 'utf8'));
  };

  selfSigned('root', 'Lapis Test Root');
  selfSigned('rogue', 'Lapis Rogue CA');
  sign('inter', '/CN=Lapis Test Intermediate', 'root', 'ca_ext');
  sign('inter_rev', '/CN=Lapis Revoked Intermediate', 'root', 'ca_ext');
  sign('server', '/CN=localhost', 'inter', 'server');
  writeFileSync(p('server-chain.pem'), readFileSync(p('server.pem'), 'utf8') + readFileSync(p('inter.pem'), 'utf8'));
  writeFileSync(p('bundle.pem'), readFileSync(p('root.pem'), 'utf8') + readFileSync(p('inter.pem'), 'utf8'));
  sign('bouncer', '/OU=bouncer-ou/CN=fw01', 'inter', 'client');
  sign('agent', '/OU=agent-ou/CN=web01', 'inter', 'client');
  sign('bouncer_rev', '/OU=bouncer-ou/CN=fw-revoked', 'inter', 'client');
  sign('agent_rev', '/OU=agent-ou/CN=web-revoked', 'inter', 'client');
  sign('expired', '/OU=bouncer-ou/OU=agent-ou/CN=old', 'inter', 'client', ['20200101000000Z', '20200201000000Z']);
  sign('future', '/OU=bouncer-ou/OU=agent-ou/CN=early', 'inter', 'client', ['20400101000000Z', '20400201000000Z']);
  sign('wrong_ou', '/OU=other-ou/CN=stranger', 'inter', 'client');
  sign('multi_ou', '/OU=other-ou/OU=bouncer-ou/CN=multi', 'inter', 'client');
  sign('leaf_inter_rev', '/OU=bouncer-ou/CN=under-revoked-inter', 'inter_rev', 'client');
  // one more from the root first, so that by_root has the serial of bouncer_rev (1003): a CRL must name its issuer
  sign('spare', '/OU=bouncer-ou/CN=spare', 'root', 'client');
  sign('by_root', '/OU=bouncer-ou/CN=by-root', 'root', 'client');
  sign('rogue_leaf', '/OU=bouncer-ou/OU=agent-ou/CN=rogue', 'rogue', 'client');
  // a forgery: the intermediate's name and key identifier, a rogue key; sent after bouncer_rev it must not stand in for the real one
  const skid = execFileSync('openssl', ['x509', '-in', p('inter.pem'), '-noout', '-ext', 'subjectKeyIdentifier'], { encoding: 'utf8' })
    .split('\n')[1]!
    .trim();
  writeFileSync(
    p('fake_inter.cnf'),
    `[ v3 ]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = ${skid}\n`,
  );
  key('fake_inter');
  openssl(['req', '-new', '-key', p('fake_inter-key.pem'), '-subj', '/CN=Lapis Test Intermediate', '-out', p('fake_inter.csr')], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      p('fake_inter.csr'),
      '-CA',
      p('rogue.pem'),
      '-CAkey',
      p('rogue-key.pem'),
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      p('fake_inter.cnf'),
      '-extensions',
      'v3',
      '-out',
      p('fake_inter.pem'),
    ],
    dir,
  );
  writeFileSync(p('bouncer_rev_forged-chain.pem'), readFileSync(p('bouncer_rev.pem'), 'utf8') + readFileSync(p('fake_inter.pem'), 'utf8'));
  writeFileSync(p('bouncer_rev_forged-key.pem'), readFileSync(p('bouncer_rev-key.pem')));
  if (opts.ocspUrl) {
    sign('ocsp_good', '/OU=bouncer-ou/OU=agent-ou/CN=ocsp-good', 'inter', 'client_ocsp');
    sign('ocsp_rev', '/OU=bouncer-ou/OU=agent-ou/CN=ocsp-revoked', 'inter', 'client_ocsp');
    sign('ocsp_signer', '/CN=Lapis OCSP Signer', 'inter', 'ocsp_signer');
  }
  const pki: Pki = {
    dir,
    path: p,
    read: (name) => readFileSync(p(name)),
    revoke(name, ca = 'inter') {
      openssl(['ca', '-config', p(`${ca}/ca.cnf`), '-revoke', p(`${name}.pem`)], dir);
      gencrl();
    },
  };
  openssl(['ca', '-config', p('inter/ca.cnf'), '-revoke', p('bouncer_rev.pem')], dir);
  openssl(['ca', '-config', p('inter/ca.cnf'), '-revoke', p('agent_rev.pem')], dir);
  openssl(['ca', '-config', p('root/ca.cnf'), '-revoke', p('inter_rev.pem')], dir);
  if (opts.ocspUrl) openssl(['ca', '-config', p('inter/ca.cnf'), '-revoke', p('ocsp_rev.pem')], dir);
  gencrl();
  return pki;
}
