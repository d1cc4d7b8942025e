/**
 * GET /api/v1/namespaces/{ns}/pods/{name}/log: PodLogOptions from the query, the apiserver's
 * checks, then the kubelet's answer as text/plain. With follow=true the response stays open and
 * every line is flushed as it is read, until the container exits or the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, type FieldError, internalError, invalid } from '../../kube/errors.ts';
import type { LogReadOptions } from '../../runtime/container-log.ts';
import { KubeletError } from '../../runtime/kubelet.ts';
import { getPod, kubeletOf, resolveContainer } from './locate.ts';
import type { PodTarget, StreamDeps } from './types.ts';

export interface PodLogQuery extends LogReadOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** PodLogOptions from the query string, validated as the apiserver validates them. */
export function parseLogQuery(name: string, q: URLSearchParams, now = Date.now()): PodLogQuery {
  const tailLines = int(q, 'tailLines');
  const limitBytes = int(q, 'limitBytes');
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTimeText = q.get('sinceTime');
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) {
    errors.push({
      type: 'Invalid',
      field: 'tailLines',
      value: tailLines,
      detail: 'must be greater than or equal to 0',
    });
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    errors.push({
      type: 'Invalid',
      field: 'limitBytes',
      value: limitBytes,
      detail: 'must be greater than 0',
    });
  }
  if (sinceSeconds !== undefined && sinceSeconds < 1) {
    errors.push({
      type: 'Invalid',
      field: 'sinceSeconds',
      value: sinceSeconds,
      detail: 'must be greater than 0',
    });
  }
  if (sinceSeconds !== undefined && sinceTimeText) {
    errors.push({
      type: 'Forbidden',
      field: '',
      detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  }
  if (errors.length) throw invalid('PodLogOptions', '', name, errors);
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (!Number.isFinite(sinceTime))
      throw badRequest(
        `parsing time "${sinceTimeText}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTimeText}" as "2006"`,
      );
  } else if (sinceSeconds !== undefined) {
    sinceTime = now - sinceSeconds * 1000;
  }
  return {
    container: q.get('container') ?? undefined,
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    tailLines,
    limitBytes,
    sinceTime,
  };
}

function sendStatus(res: ServerResponse, e: ApiError): void {
  const text = JSON.stringify(e.status);
  res.writeHead(e.status.code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Serve pods/log. Errors are written as Status JSON (400 for a container that is not running yet,
 * 404 for a missing pod, 422 for invalid options); the promise settles when the response is done.
 */
export async function handlePodLogs(
  req: IncomingMessage,
  res: ServerResponse,
  target: PodTarget,
  query: URLSearchParams,
  deps: StreamDeps,
): Promise<void> {
  let body: string;
  let follow: ((write: (text: string) => void, signal: AbortSignal) => Promise<void>) | undefined;
  try {
    const pod = getPod(deps, target);
    const opts = parseLogQuery(target.name, query);
    const container = resolveContainer(pod, opts.container);
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (!nodeName) {
      // No node yet: the apiserver has nowhere to ask and answers with an empty log.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const kubelet = kubeletOf(
      deps,
      nodeName,
      (host) => `Get "https://${host}/containerLogs/${target.namespace}/${target.name}/${container}": `,
    );
    let log: ReturnType<typeof kubelet.containerLog>;
    try {
      log = kubelet.containerLog(
        { namespace: target.namespace, name: target.name, uid: pod.metadata.uid },
        container,
        opts.previous,
      );
    } catch (e) {
      if (e instanceof KubeletError) throw badRequest(e.message);
      throw e;
    }
    if (opts.follow && !opts.previous) follow = (write, signal) => log.follow(opts, write, signal);
    body = follow ? '' : log.read(opts);
  } catch (e) {
    if (e instanceof ApiError) return sendStatus(res, e);
    return sendStatus(res, internalError(e instanceof Error ? e.message : String(e)));
  }
  if (!follow) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  // Chunked and flushed at once: kubectl shows each line as it arrives.
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  const abort = new AbortController();
  const onClose = () => abort.abort();
  req.on('close', onClose);
  res.on('close', onClose);
  try {
    await follow((text) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    }, abort.signal);
  } finally {
    req.off('close', onClose);
    res.off('close', onClose);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
