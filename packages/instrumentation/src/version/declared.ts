import { type ParsedVersionSpec, type VersionSpec, VersionSpecSchema, versionHash } from "@agent-canary/conventions";

export interface DeclaredVersion {
  readonly hash: string;
  readonly spec: ParsedVersionSpec;
}

/** The versions this process can run, looked up by the hashes the rollout state names. */
export class DeclaredVersions {
  readonly baseline: DeclaredVersion;
  readonly canary: DeclaredVersion | undefined;
  private readonly byHash = new Map<string, DeclaredVersion>();

  constructor(versions: { baseline: VersionSpec; canary?: VersionSpec | undefined }) {
    this.baseline = declare(versions.baseline);
    this.canary = versions.canary ? declare(versions.canary) : undefined;
    this.byHash.set(this.baseline.hash, this.baseline);
    if (this.canary) this.byHash.set(this.canary.hash, this.canary);
  }

  get(hash: string): DeclaredVersion | undefined {
    return this.byHash.get(hash);
  }
}

function declare(spec: VersionSpec): DeclaredVersion {
  return { hash: versionHash(spec), spec: VersionSpecSchema.parse(spec) };
}
