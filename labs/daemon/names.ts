/** Lab names: DNS labels, so they can name kubeconfig clusters, directories and namespace prefixes. */
import { randomBytes } from 'node:crypto';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Why `name` is not a valid lab name, or undefined when it is. */
export function invalidLabName(name: string): string | undefined {
  if (name.length === 0) return 'a lab name cannot be empty';
  if (name.length > 63) return `lab name "${name}" is longer than 63 characters`;
  if (!DNS_LABEL.test(name))
    return `lab name "${name}" must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit`;
  return undefined;
}

/** `<base>-<4 random>`, the base cut so the whole stays a DNS label. */
export function generateLabName(base: string): string {
  const bytes = randomBytes(4);
  const suffix = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  const cleaned =
    base
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 58)
      .replace(/-+$/, '') || 'lab';
  return `${cleaned}-${suffix}`;
}
