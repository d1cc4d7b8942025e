/**
 * TLS for lab apiservers. Learners see `https://` everywhere, as on a kubeadm cluster, and pods
 * that `curl -k https://kubernetes.default` get a real handshake. One CA per state directory; a
 * serving certificate per set of names, reused across labs that need the same names.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new Error('openssl is missing: install it with `apt-get install openssl`');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

async function ensureCa(dir: string): Promise<void> {
  if (existsSync(join(dir, 'ca.crt')) && existsSync(join(dir, 'ca.key'))) return;
  const tmp = `ca-${process.pid}-${Date.now()}`;
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${tmp}.key`], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      `${tmp}.key`,
      '-subj',
      '/CN=kubernetes',
      '-days',
      '3650',
      '-out',
      `${tmp}.crt`,
    ],
    dir,
  );
  renameSync(join(dir, `${tmp}.key`), join(dir, 'ca.key'));
  renameSync(join(dir, `${tmp}.crt`), join(dir, 'ca.crt'));
}

/** CA and a serving certificate whose SANs cover `names` (IPs and DNS names). */
export async function ensureServingCert(dir: string, names: string[]): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  await ensureCa(dir);
  const sorted = [...new Set(names)].sort();
  const id = createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 12);
  const certPath = join(dir, `apiserver-${id}.crt`);
  const keyPath = join(dir, `apiserver-${id}.key`);
  if (!existsSync(certPath)) {
    const tmp = `apiserver-${id}-${process.pid}-${Date.now()}`;
    const san = sorted.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    writeFileSync(
      join(dir, `${tmp}.ext`),
      `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
    );
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${tmp}.key`], dir);
    await openssl(
      ['req', '-new', '-key', `${tmp}.key`, '-subj', '/CN=kube-apiserver', '-out', `${tmp}.csr`],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${tmp}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '3650',
        '-extfile',
        `${tmp}.ext`,
        '-out',
        `${tmp}.crt`,
      ],
      dir,
    );
    renameSync(join(dir, `${tmp}.key`), keyPath);
    renameSync(join(dir, `${tmp}.crt`), certPath);
  }
  return {
    caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    cert: readFileSync(certPath, 'utf8'),
    key: readFileSync(keyPath, 'utf8'),
  };
}
