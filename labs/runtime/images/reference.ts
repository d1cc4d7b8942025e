/**
 * Image references as containerd normalises them: `httpd` is `docker.io/library/httpd:latest`,
 * `nicolaka/netshoot` is `docker.io/nicolaka/netshoot:latest`, a first component with a dot, a
 * colon or `localhost` is a registry.
 */

export interface ImageReference {
  /** `docker.io`, `registry.k8s.io`, `localhost:5000` */
  domain: string;
  /** `library/httpd`, `nicolaka/netshoot`, `pause` */
  path: string;
  /** Defaults to `latest` when neither tag nor digest is given. */
  tag?: string;
  digest?: string;
}

export class InvalidReference extends Error {}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function parseReference(image: string): ImageReference {
  let rest = image.trim();
  if (!rest) throw new InvalidReference('invalid reference format');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new InvalidReference('invalid reference format');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReference('invalid reference format');
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift()!;
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (path !== path.toLowerCase()) {
    throw new InvalidReference(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (!parts.every((p) => COMPONENT.test(p))) throw new InvalidReference('invalid reference format');
  if (!tag && !digest) tag = 'latest';
  return { domain, path, tag, digest };
}

export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `docker.io/library/httpd:latest` (or `…@sha256:…` for digest references). */
export function canonicalName(ref: ImageReference): string {
  return ref.digest ? `${repositoryOf(ref)}@${ref.digest}` : `${repositoryOf(ref)}:${ref.tag}`;
}

/** Pull policy the apiserver defaults to: Always for `:latest` and untagged images. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  try {
    const ref = parseReference(image);
    return !ref.digest && ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}
