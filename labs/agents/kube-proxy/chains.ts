/**
 * Chain names kube-proxy (iptables mode, 1.32) owns, and the hashed per-service chain names.
 *
 * Per-service chains carry the first 16 characters of the RFC 4648 base32 encoding (padded
 * alphabet, so no lowercase) of SHA-256 over `servicePortName + protocol` (endpoint chains append
 * the endpoint's `ip:port`). iptables limits chain names to 28 characters, hence the truncation.
 */
import { createHash } from 'node:crypto';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kube-proxy keeps its own copy of the kubelet's anti-martian chain when localhost NodePorts are on. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

export const SVC_PREFIX = 'KUBE-SVC-';
export const SVL_PREFIX = 'KUBE-SVL-';
export const FW_PREFIX = 'KUBE-FW-';
export const EXT_PREFIX = 'KUBE-EXT-';
export const SEP_PREFIX = 'KUBE-SEP-';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding characters (callers truncate anyway). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** 16-character hash of a service port: `portProtoHash('default/kubernetes:https', 'tcp')`. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  const digest = createHash('sha256')
    .update(servicePortName + protocol)
    .digest();
  return base32(digest).slice(0, 16);
}

export function serviceChainName(servicePortName: string, protocol: string): string {
  return SVC_PREFIX + portProtoHash(servicePortName, protocol);
}

export function localServiceChainName(servicePortName: string, protocol: string): string {
  return SVL_PREFIX + portProtoHash(servicePortName, protocol);
}

export function firewallChainName(servicePortName: string, protocol: string): string {
  return FW_PREFIX + portProtoHash(servicePortName, protocol);
}

export function externalChainName(servicePortName: string, protocol: string): string {
  return EXT_PREFIX + portProtoHash(servicePortName, protocol);
}

/** `endpoint` is `ip:port` as kube-proxy prints it. */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  const digest = createHash('sha256')
    .update(servicePortName + protocol + endpoint)
    .digest();
  return SEP_PREFIX + base32(digest).slice(0, 16);
}

/** Chains that belong to one service port; stale ones are deleted on sync. */
export function isServiceChainName(chain: string): boolean {
  return [SVC_PREFIX, SVL_PREFIX, SEP_PREFIX, FW_PREFIX, EXT_PREFIX].some((p) => chain.startsWith(p));
}
