/**
 * The client of `{base_url}emrlab/api/`: ServerConnection.makeRequest sends the token and the XSRF header,
 * and errors become ApiError carrying the server's `error.message` (what happened and what to do).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IActionResult,
  IApplicationDetail,
  IApplicationList,
  IClusterDetail,
  IClusterList,
  IConvertResult,
  IPricesStamp
} from './types';

/** An error answer of the API (or no answer at all). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly status: number,
    readonly action: string | null = null
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | null | undefined>;

function queryString(query: Query): string {
  const parts = Object.entries(query)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value as string)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Call `path` under emrlab/api/ and return its JSON; throws ApiError on any failure. */
export async function requestAPI<T>(path: string, init: RequestInit = {}, query: Query = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'emrlab', 'api', path) + queryString(query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(
      `The Jupyter server did not answer (${String(error)}): check that it is still running.`,
      'NetworkError',
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === 'object' ? data.error : null;
    if (error && typeof error.message === 'string') {
      throw new ApiError(error.message, String(error.kind ?? 'Error'), response.status, error.action ?? null);
    }
    if (response.status === 404) {
      throw new ApiError(
        'The emrlab server extension is not answering (HTTP 404): run ' +
          '`jupyter server extension enable emrlab.extension` and restart JupyterLab.',
        'NotFound',
        404
      );
    }
    throw new ApiError(`The emrlab API answered HTTP ${response.status} ${response.statusText}.`, 'Error', response.status);
  }
  if (data === null) {
    throw new ApiError('The emrlab API answered with something that is not JSON.', 'Error', response.status);
  }
  return data as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return requestAPI<T>(path, { method: 'POST', body: JSON.stringify(body) });
}

const id = (value: string): string => encodeURIComponent(value);

/** The typed calls of section 4. `scope` carries region/profile/refresh. */
export const api = {
  clusters: (query: Query): Promise<IClusterList> => requestAPI('clusters', {}, query),
  cluster: (clusterId: string, query: Query): Promise<{ cluster: IClusterDetail; prices: IPricesStamp }> =>
    requestAPI(`clusters/${id(clusterId)}`, {}, query),
  applications: (query: Query): Promise<IApplicationList> => requestAPI('serverless/applications', {}, query),
  application: (
    appId: string,
    query: Query
  ): Promise<{ application: IApplicationDetail; prices: IPricesStamp }> =>
    requestAPI(`serverless/applications/${id(appId)}`, {}, query),
  terminate: (clusterId: string, region: string): Promise<IActionResult> =>
    post(`clusters/${id(clusterId)}/terminate`, { region }),
  stop: (appId: string, region: string): Promise<IActionResult> =>
    post(`serverless/applications/${id(appId)}/stop`, { region }),
  convert: (path: string, target = 'emrlab'): Promise<IConvertResult> => post('convert', { path, target })
};
