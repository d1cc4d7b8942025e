import { describe, expect, it } from 'vitest';
import {
  base32,
  endpointChainName,
  externalChainName,
  firewallChainName,
  isServiceChainName,
  localServiceChainName,
  portProtoHash,
  serviceChainName,
} from '../../../labs/agents/kube-proxy/chains.ts';

describe('kube-proxy chain names', () => {
  it('encode base32 with the RFC 4648 alphabet', () => {
    // RFC 4648 section 10 test vectors (padding dropped).
    expect(base32(new TextEncoder().encode('f'))).toBe('MY');
    expect(base32(new TextEncoder().encode('fooba'))).toBe('MZXW6YTB');
    expect(base32(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI');
  });

  it('hash service port name + protocol to the values real kube-proxy uses', () => {
    expect(portProtoHash('default/kubernetes:https', 'tcp')).toBe('NPX46M4PTMTKRN6Y');
    expect(portProtoHash('kube-system/kube-dns:dns', 'udp')).toBe('TCOU7JCQXEZGVUNU');
    expect(serviceChainName('default/kubernetes:https', 'tcp')).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
    expect(serviceChainName('ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    // The kube-dns chains every kubeadm cluster shows.
    expect(serviceChainName('kube-system/kube-dns:dns-tcp', 'tcp')).toBe('KUBE-SVC-ERIFXISQEP7F7OF4');
    expect(serviceChainName('kube-system/kube-dns:metrics', 'tcp')).toBe('KUBE-SVC-JD5MR3NA4I4DYORP');
  });

  it('hash the endpoint into KUBE-SEP names', () => {
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  it('share one hash across the SVC, SVL, EXT and FW chains of a service port', () => {
    const name = 'ns5/svc5:p80';
    expect(serviceChainName(name, 'tcp')).toBe('KUBE-SVC-NUKIZ6OKUXPJNT4C');
    expect(localServiceChainName(name, 'tcp')).toBe('KUBE-SVL-NUKIZ6OKUXPJNT4C');
    expect(externalChainName(name, 'tcp')).toBe('KUBE-EXT-NUKIZ6OKUXPJNT4C');
    expect(firewallChainName(name, 'tcp')).toBe('KUBE-FW-NUKIZ6OKUXPJNT4C');
  });

  it('the protocol is part of the hash, so dns and dns-tcp never collide', () => {
    expect(portProtoHash('kube-system/kube-dns:dns', 'tcp')).not.toBe(
      portProtoHash('kube-system/kube-dns:dns', 'udp'),
    );
  });

  it('recognise per-service chains, not the fixed ones', () => {
    expect(isServiceChainName('KUBE-SEP-SXIVWICOYRO3J4NJ')).toBe(true);
    expect(isServiceChainName('KUBE-SVL-NUKIZ6OKUXPJNT4C')).toBe(true);
    expect(isServiceChainName('KUBE-SERVICES')).toBe(false);
    expect(isServiceChainName('KUBE-MARK-MASQ')).toBe(false);
    expect(isServiceChainName('FLANNEL-POSTRTG')).toBe(false);
  });
});
