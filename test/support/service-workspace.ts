import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * A temp directory laid out like a real install: `manifests/` (point
 * SLIPWAY_MANIFESTS at it) and `work/`, the target's working directory, with
 * the files the automatic checklist items read. Manifests name it as
 * `workdir: ../work`.
 */
export interface ServiceWorkspace {
  readonly root: string;
  readonly manifestsDir: string;
  readonly workDir: string;
  /**
   * The stage names a service's stages appended so far, in order, to
   * `work/<service>.stages` (a `countingStage` with `COUNT_FILE: <service>.stages`
   * in the target's env; stages run in the working directory).
   */
  stagesRun(service: string): Promise<string[]>;
  remove(): Promise<void>;
}

async function writeAll(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  await Promise.all(
    Object.entries(files).map(async ([name, text]) => {
      const file = join(dir, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
    }),
  );
}

/** Writes `manifests` (file name → YAML) and `work` (relative path → content) into a fresh temp directory. */
export async function serviceWorkspace(files: {
  manifests: Readonly<Record<string, string>>;
  work: Readonly<Record<string, string>>;
}): Promise<ServiceWorkspace> {
  const root = await mkdtemp(join(tmpdir(), "slipway-workspace-"));
  const manifestsDir = join(root, "manifests");
  const workDir = join(root, "work");
  await mkdir(manifestsDir);
  await mkdir(workDir);
  await Promise.all([writeAll(manifestsDir, files.manifests), writeAll(workDir, files.work)]);
  return {
    root,
    manifestsDir,
    workDir,
    async stagesRun(service) {
      const text = await readFile(join(workDir, `${service}.stages`), "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      return text.split("\n").filter((line) => line !== "");
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
