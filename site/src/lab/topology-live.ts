/** <Topology> with a running lab: the pods the cluster runs now, and the failing path after a check. */
import type { TopologyView } from './api.ts';
import type { LabController } from './controller.ts';
import { pageStrings } from './i18n.ts';
import { failingPathFrom, renderTopologySvg } from './topology-svg.ts';

export async function refreshTopology(lab: LabController, roots: HTMLElement[]): Promise<void> {
  const t = pageStrings();
  let view: TopologyView;
  try {
    view = await lab.api.topology();
  } catch {
    return; // the drawing from the build stays
  }
  const failing = lab.lastGrade ? failingPathFrom(lab.lastGrade.checks, view) : undefined;
  const svg = renderTopologySvg(view, failing, {
    title: t.topology,
    pods: t.pods,
    failingPath: t.failingPath,
  });
  for (const root of roots) {
    const figure = root.querySelector<HTMLElement>('.svcl-topology-figure');
    if (figure) figure.innerHTML = svg;
    root.dataset.live = 'true';
    root.dataset.failing = String(!!failing && failing.names.length + failing.links.length > 0);
  }
}
