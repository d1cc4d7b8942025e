/** Which kind clusters and networks gc removes: those whose recorded owner is gone, and only those. */
import { describe, expect, it } from 'vitest';
import { decideGc, parseNetworkList } from '../../../labs/drivers/kind/gc.ts';

const DEAD = { pid: 111, start: '1' };
const ALIVE = { pid: 222, start: '2' };
const alive = (o: { pid: number }) => o.pid === ALIVE.pid;

describe('kind gc', () => {
  it('parses docker network ls JSON lines with their labels', () => {
    const out = parseNetworkList(
      `${JSON.stringify({ Name: 'svcl-a-business', Labels: 'io.svc-labs.driver=kind,io.svc-labs.cluster=svcl-a,io.svc-labs.owner=111:1' })}\n`,
    );
    expect(out).toEqual([
      {
        name: 'svcl-a-business',
        labels: {
          'io.svc-labs.driver': 'kind',
          'io.svc-labs.cluster': 'svcl-a',
          'io.svc-labs.owner': '111:1',
        },
      },
    ]);
  });

  it('removes what dead owners left, keeps what live owners hold and what nobody owns', () => {
    const d = decideGc(
      ['svcl-dead', 'svcl-live', 'svcl-byhand', 'kind', 'svcl-netonly'],
      [
        {
          name: 'svcl-dead-business',
          labels: { 'io.svc-labs.cluster': 'svcl-dead', 'io.svc-labs.owner': '111:1' },
        },
        {
          name: 'svcl-live-business',
          labels: { 'io.svc-labs.cluster': 'svcl-live', 'io.svc-labs.owner': '222:2' },
        },
        {
          name: 'svcl-byhand-business',
          labels: { 'io.svc-labs.cluster': 'svcl-byhand', 'io.svc-labs.owner': 'none' },
        },
        {
          name: 'svcl-netonly-nat',
          labels: { 'io.svc-labs.cluster': 'svcl-netonly', 'io.svc-labs.owner': '111:1' },
        },
      ],
      [
        { lab: 'dead', cluster: 'svcl-dead', networks: [], owner: DEAD, createdAt: '' },
        { lab: 'live', cluster: 'svcl-live', networks: [], owner: ALIVE, createdAt: '' },
        { lab: 'gone', cluster: 'svcl-gone', networks: [], owner: DEAD, createdAt: '' },
      ],
      alive,
    );
    // svcl-netonly has no record here (another state directory) but its network says who owned it.
    expect(d.clusters).toEqual(['svcl-dead', 'svcl-netonly']);
    expect(d.networks).toEqual(['svcl-dead-business', 'svcl-netonly-nat']);
    expect(d.records).toEqual(['svcl-dead', 'svcl-gone']);
    expect(d.kept).toEqual([
      'cluster svcl-live (owner 222 lives)',
      'cluster svcl-byhand (no owner recorded)',
      'network svcl-live-business (owner 222 lives)',
      'network svcl-byhand-business (no owner recorded)',
    ]);
  });
});
