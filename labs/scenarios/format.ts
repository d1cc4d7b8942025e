/**
 * scenario.yaml, field by field (the format is described for authors in labs/scenarios/README.md).
 * The schema is data; `ScenarioSpec` is the type it yields. Cross-references (a check's hint, a
 * wrong fix's checks, variants) are checked by labs/scenarios/validate.ts after this.
 */
import {
  array,
  boolean,
  type Infer,
  integer,
  object,
  oneOf,
  optional,
  record,
  type Schema,
  string,
  unknownValue,
  variant,
} from './schema.ts';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Text in every language a learner can choose: `{en: ..., zh-CN: ...}`. */
export const localized = object(
  { en: string(), 'zh-CN': string() },
  { describe: 'text in both languages ({en: ..., zh-CN: ...})' },
);
export type Localized = Infer<typeof localized>;

const ID = /^[a-z][a-z0-9-]*$/;
const id = (what: string) => string({ pattern: ID, describe: `${what} (lowercase letters, digits and -)` });
/** A path inside the scenario folder: relative, no `..`. */
const relPath = string({
  pattern: /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/,
  describe: 'a path inside the scenario folder (relative, no ..)',
});
const nodePath = string({
  pattern: /^\/(?!.*(^|\/)\.\.(\/|$)).+/,
  describe: 'an absolute path inside the node',
});

export const DRIVERS = ['netns', 'kind', 'process'] as const;
export const COMPONENTS = ['flannel', 'kube-proxy', 'coredns', 'kubelet'] as const;
export const CHECK_KINDS = ['outcome', 'constraint', 'persistence'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** Where a shell script runs: a node by name, `control-plane` (the first one) or `all-nodes`. */
const runOn = string({
  pattern: /^[a-z0-9][a-z0-9.-]*$/,
  describe: 'a node name, control-plane or all-nodes',
});

/** What a persistence check does to the lab before it checks again. */
export type Disturbance =
  | { restart: (typeof COMPONENTS)[number]; node?: string }
  | { reboot: string[] | 'all' }
  | { recreate: { namespace: string; selector: string } }
  | { rollout: { namespace: string; kind: 'deployment' | 'daemonset'; name: string } };

const rebootTargets: Schema<string[] | 'all'> = {
  expected: 'all or a list of node names',
  check(value, path, issues) {
    if (value === 'all') return value;
    return array(string(), { min: 1 }).check(value, path, issues);
  },
};

const disturbance: Schema<Disturbance> = variant<Disturbance>({
  restart: object({ restart: oneOf(COMPONENTS), node: optional(string()) }),
  reboot: object({ reboot: rebootTargets }),
  recreate: object({ recreate: object({ namespace: string(), selector: string() }) }),
  rollout: object({
    rollout: object({
      namespace: string(),
      kind: oneOf(['deployment', 'daemonset'] as const),
      name: string(),
    }),
  }),
});

const check = object({
  id: id('a check id'),
  kind: oneOf(CHECK_KINDS),
  title: localized,
  /** The hint that helps when this check fails. */
  hint: id('a hint id'),
  /** Only in these variants (all when left out). */
  variants: optional(array(id('a variant id'), { min: 1, unique: true })),
  /** persistence: what to do to the lab, in order, before checking again. */
  disturb: optional(array(disturbance, { min: 1 })),
  /** persistence: outcome or constraint checks to run again after the disturbance. */
  recheck: optional(array(id('a check id'), { min: 1, unique: true })),
  /** Longest the check may take (default 8000 ms; persistence checks 120000 ms). */
  timeoutMs: optional(integer({ min: 100, max: 600_000 })),
});

const fix = object(fixShape());

export const scenarioSchema = object({
  id: id('the scenario id (its folder name)'),
  title: localized,
  summary: localized,
  /** Incident write-ups the scenario is taken from (`000` for ../shared/seeds/000_*.txt). */
  seeds: array(string({ pattern: /^\d{3}$/, describe: 'a seed number such as 000' }), {
    min: 1,
    unique: true,
  }),
  /** An environment of labs/environments. */
  environment: string(),
  environmentOptions: optional(record(unknownValue())),
  /** Drivers the scenario runs on (default netns and kind). */
  drivers: optional(array(oneOf(DRIVERS), { min: 1, unique: true })),
  variants: optional(array(object({ id: id('a variant id'), title: localized }), { min: 2 })),
  /** Deploy the grader's probe pods (netshoot, one per node, namespace lab-probes). */
  probes: optional(boolean()),
  /** Files of the folder put on a node for the learner (the kube-flannel.yml they edit). */
  files: optional(array(object({ src: relPath, node: runOn, path: nodePath }))),
  /** Rules of the game: what the fix must leave alone, each enforced by a constraint check. */
  constraints: optional(
    array(object({ id: id('a constraint id'), text: localized, check: id('a check id') })),
  ),
  checks: array(check, { min: 1 }),
  hints: array(object({ id: id('a hint id'), text: localized }), { min: 1 }),
  solutions: array(object({ ...fixShape(), seed: optional(boolean()) }), { min: 1 }),
  wrongFixes: optional(
    array(
      object({
        ...fixShape(),
        caughtBy: array(id('a check id'), { min: 1, unique: true }),
        lesson: localized,
      }),
    ),
  ),
  /** What `labctl reset` restores besides re-running the injection (see labs/scenarios/reset.ts). */
  reset: optional(
    object({
      /** `<namespace>/<kind>/<name>` of API objects to put back as they were before injection. */
      objects: optional(
        array(string({ pattern: /^[a-z0-9-]+\/[a-z]+\/[a-z0-9.-]+$/, describe: 'namespace/kind/name' })),
      ),
      /** Node files to put back on every node (the netplan and sysctl.d files always are). */
      nodeFiles: optional(array(nodePath)),
    }),
  ),
});

function fixShape() {
  return {
    id: id('an id'),
    title: localized,
    run: relPath,
    on: optional(runOn),
    variants: optional(array(id('a variant id'), { min: 1, unique: true })),
  };
}

export type ScenarioSpec = Infer<typeof scenarioSchema>;
export type CheckSpec = Infer<typeof check>;
export type FixSpec = Infer<typeof fix>;
export type SolutionSpec = ScenarioSpec['solutions'][number];
export type WrongFixSpec = NonNullable<ScenarioSpec['wrongFixes']>[number];
export type HintSpec = ScenarioSpec['hints'][number];

export function text(l: Localized, lang: Language): string {
  return l[lang] ?? l.en;
}

export function isLanguage(v: string): v is Language {
  return (LANGUAGES as readonly string[]).includes(v);
}
