/**
 * Offline GraphiQL: the page at `/` and its scripts and styles, served from
 * node_modules. Machines running the gateway have no internet access, so no URL
 * here may point anywhere but this server.
 *
 * Asset URLs carry the package version (`graphiql@3.8.3/graphiql.min.js`): a
 * version bump changes the URL, so the files can be cached as immutable. All URLs
 * in the page are relative, so the page also works behind a path-prefixing proxy.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

/** Where the assets are mounted; the page links them relative to `/`. */
export const ASSETS_PREFIX = '/graphiql/assets/';

/**
 * The query GraphiQL opens with when the caller gives none: the graph's entry
 * points with their descriptions, which works on any supergraph. The platform
 * passes its products' own example queries instead (`DataProduct.exampleQuery`).
 */
export const EXAMPLE_QUERY = `# Shared Data Platform: every data product, one graph.
# Press the run button (or Ctrl-Enter); the whole schema is in the Docs panel.
query EntryPoints {
  __schema {
    queryType {
      fields {
        name
        description
      }
    }
  }
}`;

interface AssetSource {
  /** Package whose file it is; its package.json is always resolvable, unlike deep paths. */
  pkg: string;
  /** Path inside the package. React's `exports` map hides `umd/`, hence not `require.resolve(file)`. */
  file: string;
  contentType: string;
}

const SOURCES: AssetSource[] = [
  { pkg: 'react', file: 'umd/react.production.min.js', contentType: 'text/javascript; charset=utf-8' },
  {
    pkg: 'react-dom',
    file: 'umd/react-dom.production.min.js',
    contentType: 'text/javascript; charset=utf-8',
  },
  { pkg: 'graphiql', file: 'graphiql.min.js', contentType: 'text/javascript; charset=utf-8' },
  { pkg: 'graphiql', file: 'graphiql.min.css', contentType: 'text/css; charset=utf-8' },
];

interface Loaded {
  body: Buffer;
  etag: string;
  gzipped?: Promise<Buffer>;
}

interface Asset {
  /** URL path relative to the mount point, e.g. `graphiql@3.8.3/graphiql.min.js`. */
  name: string;
  absolutePath: string;
  contentType: string;
  /** Read on first request, then kept: 4 MB that most gateway runs never need. */
  loaded?: Promise<Loaded>;
}

function resolveAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const source of SOURCES) {
    const manifest = require.resolve(`${source.pkg}/package.json`);
    const { version } = require(manifest) as { version: string };
    const name = `${source.pkg}@${version}/${path.posix.basename(source.file)}`;
    assets.set(name, {
      name,
      absolutePath: path.join(path.dirname(manifest), source.file),
      contentType: source.contentType,
    });
  }
  return assets;
}

/** `<` escaped so that no string in the config can close the inline script. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The page's Content-Security-Policy: scripts only from this server plus the one
 * inline bootstrap script, by its hash; requests only to this origin (the
 * endpoint is relative); never framed (`frame-ancestors 'none'`, clickjacking a
 * console that can carry a bearer token). Styles stay `'unsafe-inline'`:
 * GraphiQL's editor positions elements with style attributes.
 */
export function contentSecurityPolicy(inlineScript: string): string {
  const hash = createHash('sha256').update(inlineScript).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The body of the page's one inline `<script>`. */
function inlineScriptOf(page: string): string {
  const match = /<script>([\s\S]*?)<\/script>/.exec(page);
  if (!match) throw new Error('GraphiQL page has no inline script');
  return match[1]!;
}

function renderPage(assets: Map<string, Asset>, defaultQuery: string): string {
  const url = (suffix: string) => {
    const asset = [...assets.values()].find((a) => a.name.endsWith(suffix));
    if (!asset) throw new Error(`GraphiQL asset ${suffix} is not registered`);
    return `.${ASSETS_PREFIX}${asset.name}`;
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Shared Data Platform · GraphiQL</title>
    <link rel="stylesheet" href="${url('/graphiql.min.css')}" />
    <style>
      html, body, #graphiql { height: 100%; margin: 0; }
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="${url('/react.production.min.js')}"></script>
    <script src="${url('/react-dom.production.min.js')}"></script>
    <script src="${url('/graphiql.min.js')}"></script>
    <script>
      const config = ${inlineJson({ endpoint: 'graphql', defaultQuery })};
      const fetcher = GraphiQL.createFetcher({ url: new URL(config.endpoint, location.href).href });
      ReactDOM.createRoot(document.getElementById('graphiql')).render(
        React.createElement(GraphiQL, { fetcher, defaultQuery: config.defaultQuery, shouldPersistHeaders: false }),
      );
    </script>
  </body>
</html>
`;
}

export interface GraphiQLOptions {
  defaultQuery?: string;
}

/**
 * Returns a handler for `/` and `/graphiql/assets/*`. It answers (and returns
 * true) for the paths it owns, and returns false for every other path so the
 * caller can route it elsewhere.
 */
export function createGraphiQLHandler(
  options: GraphiQLOptions = {},
): (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => Promise<boolean> {
  const assets = resolveAssets();
  const html = renderPage(assets, options.defaultQuery ?? EXAMPLE_QUERY);
  const page = Buffer.from(html);
  const csp = contentSecurityPolicy(inlineScriptOf(html));

  return async (req, res, pathname) => {
    const isPage = pathname === '/';
    const asset = pathname.startsWith(ASSETS_PREFIX)
      ? assets.get(pathname.slice(ASSETS_PREFIX.length))
      : undefined;
    if (!isPage && !pathname.startsWith(ASSETS_PREFIX)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
      return true;
    }
    if (isPage) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': page.length,
        // The page names the asset versions, so it must be revalidated; the assets need not be.
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'content-security-policy': csp,
        // For browsers without CSP level 2's frame-ancestors.
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return true;
    }
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no such asset\n');
      return true;
    }
    await sendAsset(req, res, asset);
    return true;
  };
}

async function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, asset: Asset): Promise<void> {
  asset.loaded ??= readFile(asset.absolutePath).then(
    (body) => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }),
    (error: unknown) => {
      asset.loaded = undefined; // a failed read is retried on the next request, not remembered
      throw error;
    },
  );
  const loaded = await asset.loaded;
  const headers: http.OutgoingHttpHeaders = {
    'content-type': asset.contentType,
    'cache-control': 'public, max-age=31536000, immutable',
    etag: loaded.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === loaded.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  // graphiql.min.js is 3.5 MB and compresses to under a third; compress once, on demand.
  let body = loaded.body;
  if (acceptsGzip(req.headers['accept-encoding'])) {
    loaded.gzipped ??= gzip(loaded.body);
    body = await loaded.gzipped;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** True when `Accept-Encoding` lists gzip (or `*`) without `q=0`. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((item) => {
    const [coding = '', ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
