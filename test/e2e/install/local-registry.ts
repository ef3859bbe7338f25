import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename } from "node:path";
import { z } from "zod";

/**
 * A read-only npm registry on loopback for the @agent-canary scope, serving the
 * tarballs `scripts/pack.sh` made: npm is pointed at it for that scope only
 * (`@agent-canary:registry=`), so the README's `npm i @agent-canary/...` and
 * `npm i -g` run verbatim while everything else comes from npm's usual registry.
 * Hand-written rather than verdaccio: two GET routes do, and verdaccio would
 * add a web UI and ~200 packages to the dev install for them.
 */
export interface LocalRegistry {
  /** The registry URL, with a per-run path so npm's cache never serves another run's metadata. */
  readonly url: string;
  /** The package names it serves. */
  readonly names: readonly string[];
  close(): Promise<void>;
}

const PackedManifestSchema = z.looseObject({ name: z.string().startsWith("@agent-canary/"), version: z.string() });

interface Packed {
  manifest: z.infer<typeof PackedManifestSchema>;
  file: string;
  integrity: string;
  shasum: string;
}

function readPacked(file: string): Packed {
  const raw: unknown = JSON.parse(execFileSync("tar", ["-xzOf", file, "package/package.json"], { encoding: "utf8" }));
  const bytes = readFileSync(file);
  return {
    manifest: PackedManifestSchema.parse(raw),
    file,
    integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
    shasum: createHash("sha1").update(bytes).digest("hex"),
  };
}

export async function startLocalRegistry(tarballs: readonly string[]): Promise<LocalRegistry> {
  const packages = new Map(tarballs.map(readPacked).map((p) => [p.manifest.name, p]));
  const run = randomBytes(6).toString("hex");
  let base = "";
  const packument = (p: Packed) => ({
    name: p.manifest.name,
    "dist-tags": { latest: p.manifest.version },
    versions: {
      [p.manifest.version]: {
        ...p.manifest,
        _id: `${p.manifest.name}@${p.manifest.version}`,
        dist: { tarball: `${base}/-/${basename(p.file)}`, integrity: p.integrity, shasum: p.shasum },
      },
    },
  });
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://registry").pathname);
    const prefix = `/${run}`;
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : "";
    const tarball = rest.startsWith("/-/") ? [...packages.values()].find((p) => basename(p.file) === rest.slice(3)) : undefined;
    const packed = packages.get(rest.slice(1));
    if (request.method === "GET" && tarball) {
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(tarball.file));
    } else if (request.method === "GET" && packed) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument(packed)));
    } else {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `not found: ${path}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the local registry has no TCP address");
  base = `http://127.0.0.1:${address.port}/${run}`;
  return {
    url: `${base}/`,
    names: [...packages.keys()].sort(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
