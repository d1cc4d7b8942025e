/**
 * What each scenario's freshly injected lab fails, per variant: the checks that name the fault.
 * The same on every driver - the netns suites and the kind end-to-end suite both hold each lab to it.
 */
const NO_ENDPOINTS_SELECTED = [
  'service-answers-from-nodes',
  'service-answers-from-pods',
  'every-backend-answers',
  'endpoints-listed',
  'no-reject-rule',
  'endpoints-follow-deployment',
];

export const INJECTED: Record<string, Record<string, string[]>> = {
  'flannel-wrong-iface': {
    '': ['nodes-reach-pods', 'pods-reach-pods', 'service-from-nodes', 'vtep-on-host-only'],
  },
  'hairpin-off': { '': ['pods-reach-own-service', 'hairpin-on-for-hostnames'] },
  'service-route-src': { '': ['nodes-reach-kubernetes-svc', 'host-network-pods-reach-apiserver'] },
  'no-endpoints': {
    selector: NO_ENDPOINTS_SELECTED,
    readiness: NO_ENDPOINTS_SELECTED,
    manual: [
      'service-answers-from-nodes',
      'service-answers-from-pods',
      'every-backend-answers',
      'endpoints-listed',
      'no-reject-rule',
    ],
  },
};

/** The checks the injected lab fails (variant '' for a scenario without variants). */
export function injected(id: string, variant?: string): string[] {
  const list = INJECTED[id]?.[variant ?? ''];
  if (!list) throw new Error(`no expectation for ${id}${variant ? ` (${variant})` : ''}`);
  return list;
}

/** Every scenario and variant, as the end-to-end suites walk them. */
export function scenarioCases(): { id: string; variant?: string }[] {
  return Object.entries(INJECTED).flatMap(([id, byVariant]) =>
    Object.keys(byVariant).map((v) => (v ? { id, variant: v } : { id })),
  );
}
